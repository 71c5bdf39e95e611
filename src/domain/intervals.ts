// Binance kline intervals and their calendar alignment. Every bucket boundary in the service
// (roll-ups, live aggregation, catch-up paging) is computed here so there is one definition.

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

/** Open time of the bucket containing `ts`. */
export function bucketStart (interval: Interval, ts: number): number {
  if (interval === '1M') {
    const d = new Date(ts)
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
  }
  const len = FIXED_MS[interval]
  const origin = interval === '1w' ? WEEK_ORIGIN_MS : 0
  return ts - mod(ts - origin, len)
}

/** Open time of the bucket `n` buckets after the one opening at `start` (n may be negative). */
export function addBuckets (interval: Interval, start: number, n: number): number {
  if (interval === '1M') {
    const d = new Date(start)
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1)
  }
  return start + n * FIXED_MS[interval]
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

export function isAligned (interval: Interval, ts: number): boolean {
  return bucketStart(interval, ts) === ts
}

/** Number of whole buckets from `from` (inclusive) to `to` (exclusive), both bucket opens. */
export function bucketsBetween (interval: Interval, from: number, to: number): number {
  if (interval === '1M') {
    const a = new Date(from)
    const b = new Date(to)
    return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth()
  }
  return Math.floor((to - from) / FIXED_MS[interval])
}
