// The live bar of one (symbol, interval above 1m), built from the 1m stream: the bucket's stored
// minutes (read once when the bucket starts) plus each closed minute and the forming one. When
// the bucket's last minute closes, or a later bucket begins, the final bar is read back from the
// store, so it is exactly what GET /api/v1/candles returns for that bucket.
import type { Candle, CandleTuple } from '../domain/candle.js'
import { MINUTE_MS, addBuckets, bucketStart, type Interval } from '../domain/intervals.js'
import type { CandleStore } from '../store/candle-store.js'

export interface BarEmit {
  (bar: CandleTuple, final: boolean): void
}

function merge (into: CandleTuple | undefined, start: number, c: Candle): CandleTuple {
  if (into === undefined) return [start, c.open, c.high, c.low, c.close, c.volume]
  return [start, into[1], Math.max(into[2], c.high), Math.min(into[3], c.low), c.close, Math.round((into[5] + c.volume) * 1e8) / 1e8]
}

export class BarAggregator {
  private bucket?: number
  /** The bucket's closed minutes so far. */
  private closed?: CandleTuple
  private lastMinute?: number
  /** The forming minute, when newer than lastMinute. */
  private forming?: Candle
  private finalSent = false

  constructor (
    private readonly symbol: string,
    private readonly interval: Interval,
    private readonly store: CandleStore,
    private readonly emit: BarEmit
  ) {}

  /** Feeds one 1m candle (closed or forming). Calls must be serialised by the caller. */
  async onMinute (c: Candle, final: boolean): Promise<void> {
    const b = bucketStart(this.interval, c.ts)
    if (this.bucket === undefined || b > this.bucket) {
      if (this.bucket !== undefined && !this.finalSent) await this.sendFinal(this.bucket)
      await this.startBucket(b)
    } else if (b < this.bucket) {
      return // a late minute of a bucket that is already final
    }
    if (final) {
      if (this.lastMinute === undefined || c.ts > this.lastMinute) {
        this.closed = merge(this.closed, b, c)
        this.lastMinute = c.ts
      }
      if (this.forming !== undefined && this.forming.ts <= c.ts) this.forming = undefined
      if (c.ts + MINUTE_MS === addBuckets(this.interval, b, 1)) {
        await this.sendFinal(b)
        return
      }
    } else {
      if (this.lastMinute !== undefined && c.ts <= this.lastMinute) return
      this.forming = c
    }
    const bar = this.forming === undefined ? this.closed : merge(this.closed, b, this.forming)
    if (bar !== undefined && !this.finalSent) this.emit(bar, false)
  }

  private async startBucket (b: number): Promise<void> {
    this.bucket = b
    this.finalSent = false
    this.forming = undefined
    const sofar = await this.store.barSoFar(this.symbol, this.interval, b)
    this.closed = sofar?.bar
    this.lastMinute = sofar?.lastMinute
  }

  private async sendFinal (b: number): Promise<void> {
    this.finalSent = true
    const [stored] = await this.store.getCandles({ symbol: this.symbol, interval: this.interval, from: b, to: b, limit: 1 })
    const bar = stored !== undefined && stored[0] === b ? stored : this.closed
    if (bar !== undefined) this.emit(bar, true)
  }
}
