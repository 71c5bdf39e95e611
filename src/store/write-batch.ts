// A batch of candles as every store commits it: each key once, the series it touches with their
// spans, and whether it can collide with stored rows, decided from the series index alone.
import type { Candle } from '../domain/candle.js'
import type { Interval } from '../domain/intervals.js'
import type { TimeRange } from './candle-store.js'

/** The first and last open time a write brings to one series. */
export interface SeriesSpan {
  symbol: string
  interval: Interval
  first: number
  last: number
}

/**
 * The candles with each key once, the last version winning (an upsert statement rejects a key
 * twice). A page or a live close is one series in ascending order, unique as it is.
 */
export function uniqueCandles (candles: readonly Candle[]): readonly Candle[] {
  const first = candles[0]
  let ordered = true
  for (let i = 1; i < candles.length && ordered; i++) {
    const c = candles[i]!
    ordered = c.symbol === first!.symbol && c.interval === first!.interval && c.ts > candles[i - 1]!.ts
  }
  if (ordered) return candles
  const unique = new Map<string, Candle>()
  for (const c of candles) unique.set(`${c.symbol}\u0000${c.interval}\u0000${c.ts}`, c)
  return [...unique.values()]
}

/** First and last open time of each (symbol, interval) among `candles`, in order of first appearance. */
export function seriesSpans (candles: readonly Candle[]): SeriesSpan[] {
  const spans = new Map<string, SeriesSpan>()
  for (const c of candles) {
    const key = `${c.symbol}\u0000${c.interval}`
    const r = spans.get(key)
    if (r === undefined) spans.set(key, { symbol: c.symbol, interval: c.interval, first: c.ts, last: c.ts })
    else {
      if (c.ts < r.first) r.first = c.ts
      if (c.ts > r.last) r.last = c.ts
    }
  }
  return [...spans.values()]
}

export interface WritePlan {
  /** Per span: every row is newer than the series' stored last (or the series is new). */
  appends: boolean[]
  /** Whether a row may meet a stored key, so the write must replace rather than plainly insert. */
  replace: boolean
}

/**
 * How a write of `spans` goes in, given `stored` (each span's series range before it, in the same
 * order). `replace` forces replacing (rows known to repeat keys); otherwise rows that cannot meet
 * stored ones skip the conflict handling, and appends let the roll-ups be extended, not recomputed.
 */
export function planWrite (spans: readonly SeriesSpan[], stored: ReadonlyArray<TimeRange | undefined>, replace = false): WritePlan {
  const appends = spans.map((s, i) => !replace && (stored[i] === undefined || s.first > stored[i]!.last))
  return { appends, replace: replace || spans.some((s, i) => !appends[i] && s.last >= stored[i]!.first) }
}

/** Slices of at most `size` items, in order. */
export function slices<T> (items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
