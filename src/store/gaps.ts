// Gap finding, whatever the engine: a store reports the runs of bars it holds without a hole in a
// window (a few rows however many bars, one per run), and the holes are what lies between them.
import { bucketStart, bucketStartAtOrAfter, fixedIntervalMs, type Interval } from '../domain/intervals.js'
import type { TimeRange } from './candle-store.js'

/** The bar opens to search, [lo, hi], one `step` apart. */
export interface GapWindow {
  lo: number
  hi: number
  step: number
}

/**
 * The bars of `interval` opening within [from, to], or undefined when none does. Throws for an
 * interval without a fixed width (1M), whose bars are not one step apart.
 */
export function gapWindow (interval: Interval, from: number, to: number): GapWindow | undefined {
  const step = fixedIntervalMs(interval)
  if (step === undefined) throw new Error('findGaps needs a fixed-width interval')
  const lo = bucketStartAtOrAfter(interval, from)
  const hi = bucketStart(interval, to)
  return lo > hi ? undefined : { lo, hi, step }
}

/**
 * The missing stretches of a window, in order: before the first run, between runs, and after the
 * last. `runs` cover the stored bars of the window, ascending and apart: each from a stored bar to
 * a stored bar with no two consecutive stored bars inside it more than a step apart. Bars closer
 * than a step (which an aligned series never has) leave no gap between them.
 */
export function missingRanges (window: GapWindow, runs: readonly TimeRange[]): TimeRange[] {
  const { lo, hi, step } = window
  const out: TimeRange[] = []
  // The window is bracketed by virtual bars one step outside it, so its ends are holes like any other.
  let previous = lo - step
  for (const run of [...runs, { first: hi + step, last: hi + step }]) {
    if (run.first - previous > step) out.push({ first: previous + step, last: run.first - step })
    previous = run.last
  }
  return out
}
