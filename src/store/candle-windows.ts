// Turns the REST read semantics (latest N, from-only, to-only backward, both) into time-bounded
// window scans. An unbounded ORDER BY ... LIMIT scans every row of a symbol; a ts window lets DuckDB
// skip row groups by their min/max, so reads cost what they return, not what the table holds.
import { addBuckets, bucketDomain, bucketStart, bucketStartAtOrAfter, bucketsBetween, type Interval } from '../domain/intervals.js'
import { TIME_MAX_MS, TIME_MIN_MS, clampTime } from '../domain/time.js'
import type { CandleTuple } from '../domain/candle.js'
import type { TimeRange } from './candle-store.js'

export type Direction = 'asc' | 'desc'

/** Reads at most `limit` bars with open time in [lo, hi], in the given order. */
export type WindowFetch = (lo: number, hi: number, direction: Direction, limit: number) => Promise<CandleTuple[]>

export interface ReadPlan {
  lo: number
  hi: number
  direction: Direction
}

/**
 * Bar-level bounds of a request against what is stored, or undefined when nothing can match.
 * Bars are selected by open time: `from` keeps bars opening at or after it, `to` bars opening at
 * or before it (so the bar containing `to` is included). Bounds outside the time range are
 * clamped into it (callers reject them earlier; this keeps the bucket math defined whatever comes).
 */
export function planRead (interval: Interval, stored: TimeRange, from?: number, to?: number): ReadPlan | undefined {
  const servable = servableRange(interval, stored)
  if (servable === undefined) return undefined
  let { first: lo, last: hi } = servable
  if (from !== undefined) lo = Math.max(lo, bucketStartAtOrAfter(interval, clampTime(from)))
  if (to !== undefined) hi = Math.min(hi, bucketStart(interval, clampTime(to)))
  if (lo > hi) return undefined
  // Only `to` given, or nothing: the newest bars, read backwards from hi.
  const direction: Direction = from === undefined ? 'desc' : 'asc'
  return { lo, hi, direction }
}

/**
 * The bucket opens of a stored range that lie within the time range, as bucket opens of
 * `interval`, or undefined when none does; a store holding a stray time cannot take the bucket
 * math outside its domain.
 */
export function servableRange (interval: Interval, stored: TimeRange): TimeRange | undefined {
  if (!(stored.first <= stored.last) || stored.last < bucketDomain(interval).first || stored.first > TIME_MAX_MS) return undefined
  const first = stored.first < TIME_MIN_MS ? bucketDomain(interval).first : bucketStart(interval, stored.first)
  return { first, last: bucketStart(interval, Math.min(Math.max(stored.last, TIME_MIN_MS), TIME_MAX_MS)) }
}

/** How much wider each retry window is when gaps left it short of `limit` bars. */
const WIDEN = 8

/**
 * Most fetches of one read. A window starts `limit` bars wide and widens 8-fold, so 12 rounds
 * cover the 4.2 billion 1m bars of the whole time range even for limit=1; the last round reads the
 * whole plan whatever its width, so a read ends after at most this many queries.
 */
export const MAX_READ_ROUNDS = 12

/**
 * Reads `limit` bars from one end of a plan, starting with a window exactly `limit` bars wide and
 * widening only when the stored data has holes. Returns bars in ascending order.
 */
export async function readWindowed (interval: Interval, plan: ReadPlan, limit: number, fetch: WindowFetch): Promise<CandleTuple[]> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`read limit ${limit} is not a positive integer`)
  const bars = bucketsBetween(interval, plan.lo, plan.hi) + 1
  const read = async (span: number): Promise<CandleTuple[]> => {
    if (plan.direction === 'asc') {
      const end = span >= bars ? plan.hi : addBuckets(interval, plan.lo, span - 1)
      return await fetch(plan.lo, end, 'asc', limit)
    }
    const begin = span >= bars ? plan.lo : addBuckets(interval, plan.hi, -(span - 1))
    return (await fetch(begin, plan.hi, 'desc', limit)).reverse()
  }
  let span = limit
  for (let round = 1; round < MAX_READ_ROUNDS && span < bars; round++) {
    const rows = await read(span)
    if (rows.length >= limit) return rows
    span *= WIDEN
  }
  return await read(bars)
}
