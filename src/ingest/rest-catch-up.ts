// Filling a symbol's 1m history from REST: the catch-up from its last stored candle (or the
// lookback) to the exchange's current minute, the holes inside the lookback window, and the hole
// a closed kline revealed by skipping minutes. Of what it stores only the newest candles are
// published (as finals, oldest first); the rest are left to REST.
import type { Candle } from '../domain/candle.js'
import { MINUTE_MS, bucketStart } from '../domain/intervals.js'
import type { Exchange } from '../exchange/exchange.js'
import type { Log } from '../log.js'
import type { CandleStore, TimeRange } from '../store/candle-store.js'
import type { BatchWriter } from './batch-writer.js'
import { CatchUpTail } from './catch-up-tail.js'
import { fetchClosedKlines } from './fetch-closed-klines.js'
import type { IngestCounters } from './ingest-health.js'

/** What the catch-up reads and advances of a symbol's state. */
export interface CatchUpProgress {
  symbol: string
  /** Open time of the newest stored closed candle. */
  lastClosed?: number
  /** Ranges whose repair failed; retried with the next catch-up. */
  holes: TimeRange[]
}

export interface RestCatchUpOptions {
  exchange: Exchange
  store: CandleStore
  writer: BatchWriter
  log: Log
  lookbackMs: number
  /** Candles published per catch-up or hole repair of a symbol. */
  publishLimit: number
  publish: (candle: Candle) => void
  counters: Pick<IngestCounters, 'rest_catchup_candles_total' | 'rejected_candles_total'>
  /** Stops paging (the ingestor stops). */
  signal: AbortSignal
}

export class RestCatchUp {
  constructor (private readonly opts: RestCatchUpOptions) {}

  /** Catches `s` up to the minute before `serverTime`'s; returns the candles stored. */
  async catchUp (s: CatchUpProgress, serverTime: number): Promise<number> {
    const nowOpen = bucketStart('1m', serverTime)
    const windowStart = bucketStart('1m', serverTime - this.opts.lookbackMs)
    let stored = 0
    const tail = new CatchUpTail(this.opts.publishLimit)
    try {
      // Holes left by failed repairs, and any hole inside the lookback window (e.g. from a crash).
      const holes = s.holes.splice(0)
      if (s.lastClosed !== undefined && s.lastClosed > windowStart) {
        holes.push(...await this.opts.store.findGaps(s.symbol, '1m', windowStart, s.lastClosed))
      }
      for (const h of mergeRanges(holes)) {
        stored += await this.fill(s, h.first, Math.min(h.last, nowOpen - MINUTE_MS), serverTime, tail)
      }
      const from = s.lastClosed !== undefined ? s.lastClosed + MINUTE_MS : windowStart
      if (from < nowOpen) stored += await this.fill(s, from, nowOpen - MINUTE_MS, serverTime, tail)
    } finally {
      // Whatever was stored before a failure is published too, before the held live closes.
      this.publish(tail)
    }
    if (stored > 0) this.opts.log.info({ symbol: s.symbol, candles: stored, lastClosed: s.lastClosed }, 'caught up from REST')
    return stored
  }

  /** Fills `hole`, the minutes a closed kline closing at `serverTime` skipped; throws on failure. */
  async repair (s: CatchUpProgress, hole: TimeRange, serverTime: number): Promise<void> {
    const tail = new CatchUpTail(this.opts.publishLimit)
    try {
      await this.fill(s, hole.first, hole.last, serverTime, tail)
    } finally {
      this.publish(tail)
    }
  }

  private publish (tail: CatchUpTail): void {
    for (const candle of tail.take()) this.opts.publish(candle)
  }

  /** Stores the closed 1m candles with open time in [from, to], adding each to `tail`; returns how many. */
  private async fill (s: CatchUpProgress, from: number, to: number, serverTime: number, tail: CatchUpTail): Promise<number> {
    let stored = 0
    const { exchange, log, signal, counters } = this.opts
    for await (const page of fetchClosedKlines(exchange, { symbol: s.symbol, interval: '1m', from, to, serverTime, log, signal })) {
      counters.rejected_candles_total += page.rejected
      const good = page.candles
      if (good.length === 0) continue
      await this.opts.writer.write(good)
      stored += good.length
      counters.rest_catchup_candles_total += good.length
      for (const c of good) if (s.lastClosed === undefined || c.ts > s.lastClosed) s.lastClosed = c.ts
      tail.add(good)
    }
    return stored
  }
}

/** Sorted, with overlapping and adjacent ranges joined. */
export function mergeRanges (ranges: readonly TimeRange[]): TimeRange[] {
  const sorted = [...ranges].sort((a, b) => a.first - b.first)
  const out: TimeRange[] = []
  for (const r of sorted) {
    const last = out[out.length - 1]
    if (last !== undefined && r.first <= last.last + MINUTE_MS) last.last = Math.max(last.last, r.last)
    else out.push({ ...r })
  }
  return out
}
