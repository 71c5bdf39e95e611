// Turns the REST read semantics (latest N, from-only, to-only backward, both) into time-bounded
// window scans. An unbounded ORDER BY ... LIMIT scans every row of a symbol; a ts window lets DuckDB
// skip row groups by their min/max, so reads cost what they return, not what the table holds.
import { addBuckets, bucketStart, bucketStartAtOrAfter, type Interval } from '../domain/intervals.js'
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
 * or before it (so the bar containing `to` is included).
 */
export function planRead (interval: Interval, stored: TimeRange, from?: number, to?: number): ReadPlan | undefined {
  let lo = stored.first
  let hi = stored.last
  if (from !== undefined) lo = Math.max(lo, bucketStartAtOrAfter(interval, from))
  if (to !== undefined) hi = Math.min(hi, bucketStart(interval, to))
  if (lo > hi) return undefined
  // Only `to` given, or nothing: the newest bars, read backwards from hi.
  const direction: Direction = from === undefined ? 'desc' : 'asc'
  return { lo, hi, direction }
}

/** How much wider each retry window is when gaps left it short of `limit` bars. */
const WIDEN = 8

/**
 * Reads `limit` bars from one end of a plan, starting with a window exactly `limit` bars wide and
 * widening only when the stored data has holes. Returns bars in ascending order.
 */
export async function readWindowed (interval: Interval, plan: ReadPlan, limit: number, fetch: WindowFetch): Promise<CandleTuple[]> {
  let span = limit
  for (;;) {
    if (plan.direction === 'asc') {
      const end = Math.min(plan.hi, addBuckets(interval, plan.lo, span - 1))
      const rows = await fetch(plan.lo, end, 'asc', limit)
      if (rows.length >= limit || end >= plan.hi) return rows
    } else {
      const begin = Math.max(plan.lo, addBuckets(interval, plan.hi, -(span - 1)))
      const rows = await fetch(begin, plan.hi, 'desc', limit)
      if (rows.length >= limit || begin <= plan.lo) return rows.reverse()
    }
    span *= WIDEN
  }
}
