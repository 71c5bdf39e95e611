// How a store serves intervals it does not hold natively, whatever its engine.
//
// A rolled-up bar opens at its bucket's open (1w on Monday 00:00 UTC, 1M on the first of the
// month) and is assembled from the source bars opening inside the bucket: the first one's open,
// the highest high, the lowest low, the last one's close, and the volumes summed as an exact
// decimal of VOLUME_DECIMALS places (Binance's precision; a float sum over thousands of minutes
// drifts in the last digits, which clients would see as 1234.56789001), converted to a double once.
//
// The source bars are the 1m candles, or, for intervals that are whole hours and for 1M, hourly
// roll-ups of them (the same assembly per hour, plus the hour's minute count and newest minute),
// which a store keeps in step with every write: a 1d bar then reads 24 rows instead of 1440.
import { BASE_INTERVAL, HOUR_MS, WEEK_ORIGIN_MS, addBuckets, fixedIntervalMs, type Interval } from '../domain/intervals.js'
import type { TimeRange } from './candle-store.js'
import { servableRange } from './candle-windows.js'
import type { SeriesIndex } from './series-index.js'
import type { SeriesSpan } from './write-batch.js'

/** Decimal places of the exact volume sum of a rolled-up bar. */
export const VOLUME_DECIMALS = 8

/** The series a rolled-up interval is assembled from: 1m candles, or their hourly roll-ups. */
export type RollupBase = typeof BASE_INTERVAL | '1h'

/** The open of the hour holding `ts`. */
export function hourOf (ts: number): number {
  return ts - (ts % HOUR_MS)
}

export function rollupBase (interval: Interval): RollupBase {
  return interval === '1M' || (fixedIntervalMs(interval) ?? 0) % HOUR_MS === 0 ? '1h' : BASE_INTERVAL
}

/** A bucket of a fixed width opens at `origin + k * width`; a month bucket on the first of the month. */
export type BucketRule = { kind: 'fixed', width: number, origin: number } | { kind: 'month' }

export function bucketRule (interval: Interval): BucketRule {
  const width = fixedIntervalMs(interval)
  if (width === undefined) return { kind: 'month' }
  return { kind: 'fixed', width, origin: interval === '1w' ? WEEK_ORIGIN_MS : 0 }
}

/** The open times of the source bars making up the bars of `interval` that open in [lo, hi]. */
export function sourceWindow (interval: Interval, lo: number, hi: number): TimeRange {
  // hi is the open of the last bar wanted: every source bar up to that bar's close.
  return { first: lo, last: addBuckets(interval, hi, 1) - 1 }
}

/** Where the bars of a series are served from, and the open times of the first and last. */
export type ServingSource =
  | { native: true, range: TimeRange }
  | { native: false, range: TimeRange, base: RollupBase, buckets: BucketRule }

/** Native bars when the interval is stored as such, else bars rolled up from the symbol's 1m; undefined when neither exists. */
export function servingSource (index: SeriesIndex, symbol: string, interval: Interval): ServingSource | undefined {
  const native = index.range(symbol, interval)
  if (native !== undefined) return { native: true, range: native }
  const minutes = interval === BASE_INTERVAL ? undefined : index.range(symbol, BASE_INTERVAL)
  const range = minutes === undefined ? undefined : servableRange(interval, minutes)
  if (range === undefined) return undefined
  return { native: false, range, base: rollupBase(interval), buckets: bucketRule(interval) }
}

/**
 * What a write of 1m candles does to the hourly roll-ups of their symbol:
 * - `rebuild`: recompute the hours [fromHour, toHour] from the stored minutes (the rows may
 *   replace or fall between stored ones);
 * - `extend`: the minutes are all newer than every stored one, so only `extendHour` (the hour
 *   of the newest stored minute, when the write reaches into it) can already have a roll-up, and
 *   gets the new minutes merged into it; every hour from `insertFrom` on is new and is inserted.
 */
export type HourUpkeep =
  | { kind: 'rebuild', fromHour: number, toHour: number }
  | { kind: 'extend', extendHour?: number, insertFrom?: number }

/**
 * The upkeep of a write of `span` (one symbol's 1m candles) given `stored`, the series' range
 * before it; `append` says the write only adds minutes newer than `stored.last`.
 */
export function hourUpkeep (span: SeriesSpan, stored: TimeRange | undefined, append: boolean): HourUpkeep {
  if (!append) return { kind: 'rebuild', fromHour: hourOf(span.first), toHour: hourOf(span.last) }
  let firstNewHour = hourOf(span.first)
  const out: HourUpkeep = { kind: 'extend' }
  if (stored !== undefined && hourOf(stored.last) === firstNewHour) {
    out.extendHour = firstNewHour
    firstNewHour += HOUR_MS
  }
  if (hourOf(span.last) >= firstNewHour) out.insertFrom = firstNewHour
  return out
}

/** The hours to recompute after 1m rows opening in [from, to] were deleted. */
export function hoursTouched (from: number, to: number): { fromHour: number, toHour: number } {
  return { fromHour: hourOf(from), toHour: hourOf(to) }
}
