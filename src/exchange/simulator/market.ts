// The simulated market: which minutes exist (listing time, maintenance gaps) and the full kline
// (OHLCV from the price model plus the trade statistics Binance also reports) of any bucket as it
// stands at a given time. REST, streams and groundTruth() all read candles from here, so a store
// filled from either channel can be compared against groundTruth() exactly.
import {
  HOUR_MS, MINUTE_MS, addBuckets, bucketCloseTime, bucketStart, bucketStartAtOrAfter, maxIntervalMs, type Interval
} from '../../domain/intervals.js'
import type { Candle } from '../../domain/candle.js'
import { MINUTE_STEPS, hashUnit, minuteCandle, symbolModel } from './price-model.js'

/** Minutes with open time in [from, to) do not exist (for one symbol, or all when omitted). */
export interface GapSpec {
  symbol?: string
  from: number
  to: number
}

export interface MarketOptions {
  seed?: number
  /** Epoch ms before which a symbol has no klines; a record sets it per symbol. */
  listedAt?: number | Readonly<Record<string, number>>
  gaps?: readonly GapSpec[]
}

/** Binance spot's launch day; the default listing time of every simulated symbol. */
export const DEFAULT_LISTED_AT = Date.UTC(2017, 7, 17)

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

// Sums are kept in integer volume units so aggregates match price-model's intervalCandle exactly.
interface Agg {
  open: number
  high: number
  low: number
  close: number
  volumeUnits: number
  quoteVolume: number
  trades: number
  takerUnits: number
  takerQuote: number
  firstTradeId: number
  lastTradeId: number
}

// Each interval is built from buckets of a smaller one that tiles it exactly. The first build of a
// long bucket still visits every minute (about 7 µs each, so 1000 daily candles take ~10 s), but
// once its hours and days are cached a month costs ~31 lookups instead of 44,640 minutes.
const CHILD: Record<Exclude<Interval, '1m'>, Interval> = {
  '3m': '1m',
  '5m': '1m',
  '15m': '5m',
  '30m': '15m',
  '1h': '30m',
  '2h': '1h',
  '4h': '2h',
  '6h': '2h',
  '8h': '4h',
  '12h': '4h',
  '1d': '12h',
  '1w': '1d',
  '1M': '1d'
}

// Only hourly and longer buckets are cached (45 entries per simulated day): shorter ones are cheap
// to rebuild from minutes, and caching them would evict the long ones that are expensive.
const CACHE_LIMIT = 200_000
const CACHE_MIN_INTERVAL_MS = HOUR_MS
// Trade ids are minute-index × this + sequence, so ids are unique and increase with time.
const TRADE_ID_STRIDE = 10_000

function floorMinute (t: number): number {
  return Math.floor(t / MINUTE_MS) * MINUTE_MS
}

function ceilMinute (t: number): number {
  return Math.ceil(t / MINUTE_MS) * MINUTE_MS
}

function merge (a: Agg, b: Agg): Agg {
  return {
    open: a.open,
    high: Math.max(a.high, b.high),
    low: Math.min(a.low, b.low),
    close: b.close,
    volumeUnits: a.volumeUnits + b.volumeUnits,
    quoteVolume: a.quoteVolume + b.quoteVolume,
    trades: a.trades + b.trades,
    takerUnits: a.takerUnits + b.takerUnits,
    takerQuote: a.takerQuote + b.takerQuote,
    firstTradeId: a.firstTradeId >= 0 ? a.firstTradeId : b.firstTradeId,
    lastTradeId: b.lastTradeId >= 0 ? b.lastTradeId : a.lastTradeId
  }
}

/** Sorted, merged, minute-aligned [from, to) ranges of missing minutes. */
type Holes = ReadonlyArray<{ from: number, to: number }>

export class Market {
  readonly seed: number
  private readonly listedAt: number | Readonly<Record<string, number>>
  private readonly gaps: readonly GapSpec[]
  private readonly holes = new Map<string, Holes>()
  private readonly cache = new Map<string, Agg | null>()

  constructor (options: MarketOptions = {}) {
    this.seed = options.seed ?? 1
    this.listedAt = options.listedAt ?? DEFAULT_LISTED_AT
    this.gaps = options.gaps ?? []
    for (const g of this.gaps) {
      if (Number.isNaN(g.from) || Number.isNaN(g.to)) throw new RangeError('gap bounds must be numbers')
    }
  }

  listingTime (symbol: string): number {
    if (typeof this.listedAt === 'number') return this.listedAt
    return this.listedAt[symbol] ?? DEFAULT_LISTED_AT
  }

  // Pre-listing time is just one more hole, so existence checks only walk one list.
  private holesFor (symbol: string): Holes {
    let holes = this.holes.get(symbol)
    if (holes === undefined) {
      const raw = [{ from: Number.NEGATIVE_INFINITY, to: ceilMinute(this.listingTime(symbol)) }]
      for (const g of this.gaps) {
        if (g.symbol !== undefined && g.symbol !== symbol) continue
        const from = ceilMinute(g.from)
        const to = ceilMinute(g.to)
        if (to > from) raw.push({ from, to })
      }
      raw.sort((a, b) => a.from - b.from)
      const merged: Array<{ from: number, to: number }> = []
      for (const r of raw) {
        const last = merged.at(-1)
        if (last !== undefined && r.from <= last.to) last.to = Math.max(last.to, r.to)
        else merged.push({ ...r })
      }
      holes = merged
      this.holes.set(symbol, holes)
    }
    return holes
  }

  /** Whether the 1m candle opening at `minute` (aligned) exists at all. */
  minuteExists (symbol: string, minute: number): boolean {
    return !this.holesFor(symbol).some(h => h.from <= minute && minute < h.to)
  }

  /** Open time of the first existing minute at or after `t`; undefined if none ever exists. */
  nextMinute (symbol: string, t: number): number | undefined {
    let m = ceilMinute(t)
    for (const h of this.holesFor(symbol)) {
      if (h.from <= m && m < h.to) m = h.to
    }
    return Number.isFinite(m) ? m : undefined
  }

  /** Open time of the last existing minute at or before `t`; undefined before listing. */
  prevMinute (symbol: string, t: number): number | undefined {
    let m = floorMinute(t)
    const holes = this.holesFor(symbol)
    for (let i = holes.length - 1; i >= 0; i--) {
      const h = holes[i]!
      if (h.from <= m && m < h.to) m = h.from - MINUTE_MS
    }
    return Number.isFinite(m) ? m : undefined
  }

  private minuteAgg (symbol: string, t: number, steps: number): Agg {
    const m = symbolModel(symbol, this.seed)
    const scale = 10 ** m.volumeDecimals
    const c = minuteCandle(symbol, t, steps, this.seed)
    const index = t / MINUTE_MS
    const s = Math.max(0, Math.min(MINUTE_STEPS, steps))
    const volumeUnits = Math.round(c.volume * scale)
    const fullTrades = 20 + Math.floor(hashUnit(m.key, 2001, index) * 1500)
    const trades = Math.floor(fullTrades * s / MINUTE_STEPS)
    const takerUnits = Math.floor(volumeUnits * (0.3 + 0.4 * hashUnit(m.key, 2002, index)))
    const avgPrice = (c.open + c.high + c.low + c.close) / 4
    return {
      open: c.open,
      high: c.high,
      low: c.low,
      close: c.close,
      volumeUnits,
      quoteVolume: volumeUnits / scale * avgPrice,
      trades,
      takerUnits,
      takerQuote: takerUnits / scale * avgPrice,
      firstTradeId: trades > 0 ? index * TRADE_ID_STRIDE : -1,
      lastTradeId: trades > 0 ? index * TRADE_ID_STRIDE + trades - 1 : -1
    }
  }

  // The bucket opening at `start` built from existing minutes with open ≤ asOf; the minute
  // containing asOf is partial, with the same step arithmetic as price-model's intervalCandle.
  private agg (symbol: string, interval: Interval, start: number, asOf: number): Agg | undefined {
    if (asOf < start) return undefined
    const end = addBuckets(interval, start, 1)
    const cacheable = end <= asOf && maxIntervalMs(interval) >= CACHE_MIN_INTERVAL_MS
    const key = `${symbol}|${interval}|${start}`
    if (cacheable) {
      const hit = this.cache.get(key)
      if (hit !== undefined) return hit ?? undefined
    }
    let out: Agg | undefined
    const first = this.nextMinute(symbol, start)
    if (first !== undefined && first < end && first <= asOf) {
      if (interval === '1m') {
        const steps = start + MINUTE_MS <= asOf ? MINUTE_STEPS : Math.floor(((asOf - start) / MINUTE_MS) * MINUTE_STEPS)
        out = this.minuteAgg(symbol, start, steps)
      } else {
        const child = CHILD[interval]
        for (let c = bucketStart(child, first); c < end && c <= asOf;) {
          const part = this.agg(symbol, child, c, asOf)
          if (part !== undefined) out = out === undefined ? part : merge(out, part)
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
    const a = this.agg(symbol, interval, start, asOf)
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

// groundTruth() is called in loops by tests; reusing a Market keeps its aggregate cache warm.
const sharedMarkets = new Map<string, Market>()

function marketFor (seed: number, options: Omit<MarketOptions, 'seed'>): Market {
  const key = JSON.stringify([seed, options.listedAt ?? null, options.gaps ?? []])
  let market = sharedMarkets.get(key)
  if (market === undefined) {
    if (sharedMarkets.size >= 16) sharedMarkets.clear()
    market = new Market({ ...options, seed })
    sharedMarkets.set(key, market)
  }
  return market
}

/**
 * The complete candles of `symbol` at `interval` with open time in [from, to), exactly as the
 * simulator serves them once closed: gaps and pre-listing minutes are left out, and higher
 * intervals aggregate only the minutes that exist. Pass the simulator's listedAt/gaps when it was
 * started with non-default ones. Candles are returned regardless of any clock; a running
 * simulator only serves those closed by its current time.
 */
export function groundTruth (symbol: string, interval: Interval, from: number, to: number, seed = 1, options: Omit<MarketOptions, 'seed'> = {}): Candle[] {
  return marketFor(seed, options).closedKlines(symbol, interval, from, to).map(k => k.candle)
}
