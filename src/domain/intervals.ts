// Binance kline intervals and their calendar alignment. Every bucket boundary in the service
// (roll-ups, live aggregation, catch-up paging) is computed here so there is one definition, exact
// over the whole time range of src/domain/time.ts and a RangeError outside it (never NaN).
import { civilFromDays, daysFromCivil } from './calendar.js'
import { TIME_MAX_MS, TIME_MIN_MS, TIME_RANGE_TEXT, inTimeRange } from './time.js'

export const INTERVALS = [
  '1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '1w', '1M'
] as const

export type Interval = typeof INTERVALS[number]

/** The interval that ingestion stores and every other interval is rolled up from. */
export const BASE_INTERVAL: Interval = '1m'

export const MINUTE_MS = 60_000
export const HOUR_MS = 60 * MINUTE_MS
export const DAY_MS = 24 * HOUR_MS
export const WEEK_MS = 7 * DAY_MS

// 1970-01-01 was a Thursday; Binance weeks open on Monday 00:00 UTC, the first being 1970-01-05.
export const WEEK_ORIGIN_MS = 4 * DAY_MS

const FIXED_MS: Record<Exclude<Interval, '1M'>, number> = {
  '1m': MINUTE_MS,
  '3m': 3 * MINUTE_MS,
  '5m': 5 * MINUTE_MS,
  '15m': 15 * MINUTE_MS,
  '30m': 30 * MINUTE_MS,
  '1h': HOUR_MS,
  '2h': 2 * HOUR_MS,
  '4h': 4 * HOUR_MS,
  '6h': 6 * HOUR_MS,
  '8h': 8 * HOUR_MS,
  '12h': 12 * HOUR_MS,
  '1d': DAY_MS,
  '1w': WEEK_MS
}

const INTERVAL_SET: ReadonlySet<string> = new Set(INTERVALS)

export function isInterval (value: unknown): value is Interval {
  return typeof value === 'string' && INTERVAL_SET.has(value)
}

/** Fixed length in ms, or undefined for calendar months (28 to 31 days). */
export function fixedIntervalMs (interval: Interval): number | undefined {
  return interval === '1M' ? undefined : FIXED_MS[interval]
}

/** Longest possible bucket, for sizing time windows. */
export function maxIntervalMs (interval: Interval): number {
  return interval === '1M' ? 31 * DAY_MS : FIXED_MS[interval]
}

function mod (a: number, n: number): number {
  return ((a % n) + n) % n
}

function requireTime (ts: number): void {
  if (!inTimeRange(ts)) throw new RangeError(`time ${ts} is outside the supported range ${TIME_RANGE_TEXT}`)
}

/** Months since January 1970 of the month holding `ts` (any time within the range). */
function monthIndex (ts: number): number {
  const { year, month } = civilFromDays(Math.floor(ts / DAY_MS))
  return (year - 1970) * 12 + month - 1
}

function monthStart (index: number): number {
  const year = 1970 + Math.floor(index / 12)
  return daysFromCivil(year, mod(index, 12) + 1, 1) * DAY_MS
}

function fixedStart (interval: Exclude<Interval, '1M'>, ts: number): number {
  const origin = interval === '1w' ? WEEK_ORIGIN_MS : 0
  return ts - mod(ts - origin, FIXED_MS[interval])
}

/**
 * The bucket opens an interval has over the time range, as [first, end]: `first` opens the
 * bucket holding TIME_MIN_MS (for 1w a Monday in 1969), `end` the one after the bucket holding
 * TIME_MAX_MS, so "the next bucket" of the last one is still defined.
 */
export function bucketDomain (interval: Interval): { first: number, end: number } {
  return DOMAINS[interval]
}

function computeDomain (interval: Interval): { first: number, end: number } {
  if (interval === '1M') return { first: monthStart(monthIndex(TIME_MIN_MS)), end: monthStart(monthIndex(TIME_MAX_MS) + 1) }
  return { first: fixedStart(interval, TIME_MIN_MS), end: fixedStart(interval, TIME_MAX_MS) + FIXED_MS[interval] }
}

const DOMAINS = Object.fromEntries(INTERVALS.map((iv) => [iv, computeDomain(iv)])) as Record<Interval, { first: number, end: number }>

function requireBucketTime (interval: Interval, ts: number): void {
  const d = DOMAINS[interval]
  if (!(ts >= d.first && ts <= d.end)) {
    throw new RangeError(`${interval} bucket time ${ts} is outside the supported range ${TIME_RANGE_TEXT}`)
  }
}

/** Open time of the bucket containing `ts`; a RangeError when `ts` is outside the time range. */
export function bucketStart (interval: Interval, ts: number): number {
  requireTime(ts)
  return interval === '1M' ? monthStart(monthIndex(ts)) : fixedStart(interval, ts)
}

/**
 * Open time of the bucket `n` buckets after the one opening at `start` (n may be negative). Both
 * `start` and the result must lie within bucketDomain, or it is a RangeError.
 */
export function addBuckets (interval: Interval, start: number, n: number): number {
  requireBucketTime(interval, start)
  if (!Number.isSafeInteger(n)) throw new RangeError(`bucket count ${n} is not a safe integer`)
  const out = interval === '1M' ? monthStart(monthIndex(start) + n) : start + n * FIXED_MS[interval]
  requireBucketTime(interval, out)
  return out
}

/** Open time of the next bucket after the one containing `ts`. */
export function nextBucketStart (interval: Interval, ts: number): number {
  return addBuckets(interval, bucketStart(interval, ts), 1)
}

/** Open time of the first bucket whose open is at or after `ts`. */
export function bucketStartAtOrAfter (interval: Interval, ts: number): number {
  const start = bucketStart(interval, ts)
  return start === ts ? ts : addBuckets(interval, start, 1)
}

/** Binance's close time for a bucket: one millisecond before the next one opens. */
export function bucketCloseTime (interval: Interval, start: number): number {
  return addBuckets(interval, start, 1) - 1
}

/** Whether `ts` opens a bucket; false for any time outside the range. */
export function isAligned (interval: Interval, ts: number): boolean {
  return inTimeRange(ts) && bucketStart(interval, ts) === ts
}

/** Number of whole buckets from `from` (inclusive) to `to` (exclusive), both bucket opens. */
export function bucketsBetween (interval: Interval, from: number, to: number): number {
  requireBucketTime(interval, from)
  requireBucketTime(interval, to)
  if (interval === '1M') return monthIndex(to) - monthIndex(from)
  return Math.floor((to - from) / FIXED_MS[interval])
}
