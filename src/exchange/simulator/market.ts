// The simulated market: the full kline (OHLCV from the price model plus the trade statistics
// Binance also reports) of any bucket as it stands at a given time, over the minutes that exist
// (minute-calendar.ts), and Binance's selections of them. REST, streams and groundTruth() all read
// candles from here, so a store filled from either channel can be compared against groundTruth()
// exactly.
import {
  HOUR_MS, MINUTE_MS, addBuckets, bucketCloseTime, bucketStart, bucketStartAtOrAfter, maxIntervalMs, type Interval
} from '../../domain/intervals.js'
import type { Candle } from '../../domain/candle.js'
import { CHILD, mergeStats, minuteStats, type BucketStats } from './bucket-stats.js'
import { MinuteCalendar, type GapSpec } from './minute-calendar.js'
import { MINUTE_STEPS, symbolModel } from './price-model.js'

export interface MarketOptions {
  seed?: number
  /** Epoch ms before which a symbol has no klines; a record sets it per symbol. */
  listedAt?: number | Readonly<Record<string, number>>
  gaps?: readonly GapSpec[]
}

/** One kline as Binance reports it: the candle plus trade statistics, as of some moment. */
export interface Kline {
  candle: Candle
  closeTime: number
  quoteVolume: number
  trades: number
  takerBuyBaseVolume: number
  takerBuyQuoteVolume: number
  /** -1 when the kline has no trades yet, as on Binance. */
  firstTradeId: number
  lastTradeId: number
  /** True when the bucket is complete (its close time is before the `asOf` it was built for). */
  closed: boolean
}

export interface KlineQuery {
  startTime?: number
  endTime?: number
  limit: number
}

// Only hourly and longer buckets are cached (45 entries per simulated day): shorter ones are cheap
// to rebuild from minutes, and caching them would evict the long ones that are expensive. The
// first build of a long bucket still visits every minute (about 7 µs each, so 1000 daily candles
// take ~10 s); once its hours and days are cached, a month is ~31 lookups.
const CACHE_LIMIT = 200_000
const CACHE_MIN_INTERVAL_MS = HOUR_MS

export class Market {
  readonly seed: number
  private readonly calendar: MinuteCalendar
  private readonly cache = new Map<string, BucketStats | null>()

  constructor (options: MarketOptions = {}) {
    this.seed = options.seed ?? 1
    this.calendar = new MinuteCalendar(options.listedAt, options.gaps)
  }

  listingTime (symbol: string): number {
    return this.calendar.listingTime(symbol)
  }

  /** Whether the 1m candle opening at `minute` (aligned) exists at all. */
  minuteExists (symbol: string, minute: number): boolean {
    return this.calendar.minuteExists(symbol, minute)
  }

  /** Open time of the first existing minute at or after `t`; undefined if none ever exists. */
  nextMinute (symbol: string, t: number): number | undefined {
    return this.calendar.nextMinute(symbol, t)
  }

  /** Open time of the last existing minute at or before `t`; undefined before listing. */
  prevMinute (symbol: string, t: number): number | undefined {
    return this.calendar.prevMinute(symbol, t)
  }

  // The bucket opening at `start` built from existing minutes with open ≤ asOf; the minute
  // containing asOf is partial, with the same step arithmetic as price-model's intervalCandle.
  private stats (symbol: string, interval: Interval, start: number, asOf: number): BucketStats | undefined {
    if (asOf < start) return undefined
    const end = addBuckets(interval, start, 1)
    const cacheable = end <= asOf && maxIntervalMs(interval) >= CACHE_MIN_INTERVAL_MS
    const key = `${symbol}|${interval}|${start}`
    if (cacheable) {
      const hit = this.cache.get(key)
      if (hit !== undefined) return hit ?? undefined
    }
    let out: BucketStats | undefined
    const first = this.nextMinute(symbol, start)
    if (first !== undefined && first < end && first <= asOf) {
      if (interval === '1m') {
        const steps = start + MINUTE_MS <= asOf ? MINUTE_STEPS : Math.floor(((asOf - start) / MINUTE_MS) * MINUTE_STEPS)
        out = minuteStats(symbol, start, steps, this.seed)
      } else {
        const child = CHILD[interval]
        for (let c = bucketStart(child, first); c < end && c <= asOf;) {
          const part = this.stats(symbol, child, c, asOf)
          if (part !== undefined) out = out === undefined ? part : mergeStats(out, part)
          // Hop over holes instead of visiting every empty child bucket.
          const next = this.nextMinute(symbol, addBuckets(child, c, 1))
          if (next === undefined) break
          c = bucketStart(child, next)
        }
      }
    }
    if (cacheable) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear()
      this.cache.set(key, out ?? null)
    }
    return out
  }

  /**
   * The kline of the bucket containing `openTime` as it stands at `asOf` (default: complete), or
   * undefined when none of its minutes exist by then.
   */
  kline (symbol: string, interval: Interval, openTime: number, asOf = Number.POSITIVE_INFINITY): Kline | undefined {
    const start = bucketStart(interval, openTime)
    const a = this.stats(symbol, interval, start, asOf)
    if (a === undefined) return undefined
    const scale = 10 ** symbolModel(symbol, this.seed).volumeDecimals
    const closeTime = bucketCloseTime(interval, start)
    return {
      candle: { symbol, interval, ts: start, open: a.open, high: a.high, low: a.low, close: a.close, volume: a.volumeUnits / scale },
      closeTime,
      quoteVolume: a.quoteVolume,
      trades: a.trades,
      takerBuyBaseVolume: a.takerUnits / scale,
      takerBuyQuoteVolume: a.takerQuote,
      firstTradeId: a.firstTradeId,
      lastTradeId: a.lastTradeId,
      closed: closeTime < asOf
    }
  }

  /**
   * Binance's /api/v3/klines selection at time `now`: buckets whose open time lies in
   * [startTime, endTime] (both inclusive) and is ≤ now, oldest first. With startTime the oldest
   * `limit` are returned, otherwise the newest `limit` up to endTime (or now).
   */
  klines (symbol: string, interval: Interval, query: KlineQuery, now: number): Kline[] {
    const upper = Math.min(query.endTime ?? Number.POSITIVE_INFINITY, now)
    const out: Kline[] = []
    if (query.startTime !== undefined) {
      // Nothing opens after now; checked first so a start past any calendar is just empty.
      if (query.startTime > upper) return out
      let b = bucketStartAtOrAfter(interval, query.startTime)
      while (out.length < query.limit) {
        const m = this.nextMinute(symbol, b)
        if (m === undefined || m > now) break
        const open = bucketStart(interval, m)
        if (open > upper) break
        const k = this.kline(symbol, interval, open, now)
        if (k !== undefined) out.push(k)
        b = addBuckets(interval, open, 1)
      }
      return out
    }
    let b = bucketStart(interval, upper)
    while (out.length < query.limit) {
      // A bucket exists when any of its minutes up to now does, even if those lie past endTime.
      const m = this.prevMinute(symbol, Math.min(addBuckets(interval, b, 1) - 1, now))
      if (m === undefined) break
      const open = bucketStart(interval, m)
      const k = this.kline(symbol, interval, open, now)
      if (k !== undefined) out.push(k)
      b = addBuckets(interval, open, -1)
    }
    return out.reverse()
  }

  /** Complete klines with open time in [from, to), skipping buckets with no minutes. */
  closedKlines (symbol: string, interval: Interval, from: number, to: number): Kline[] {
    const out: Kline[] = []
    let b = bucketStartAtOrAfter(interval, from)
    while (b < to) {
      const m = this.nextMinute(symbol, b)
      if (m === undefined) break
      const open = bucketStart(interval, m)
      if (open >= to) break
      const k = this.kline(symbol, interval, open)
      if (k !== undefined) out.push(k)
      b = addBuckets(interval, open, 1)
    }
    return out
  }
}
