// RETENTION_DAYS applied to the store: candles older than the cutoff of their interval go away.
import { DAY_MS, INTERVALS, type Interval } from '../domain/intervals.js'
import type { CandleStore } from './candle-store.js'

export interface RetentionResult {
  deleted: number
  /** Cutoff applied per interval ('*' for every interval). */
  cutoffs: Record<string, number>
}

/** `keep` maps an interval (or '*') to days kept; rows opening before now - days are deleted. */
export async function applyRetention (store: CandleStore, keep: Readonly<Record<string, number>>, now: number): Promise<RetentionResult> {
  const result: RetentionResult = { deleted: 0, cutoffs: {} }
  for (const [key, days] of Object.entries(keep)) {
    const cutoff = now - days * DAY_MS
    result.cutoffs[key] = cutoff
    if (key === '*') {
      // Intervals with their own entry keep their own window.
      for (const interval of INTERVALS) {
        if (keep[interval] === undefined) result.deleted += await store.deleteOlderThan(interval, cutoff)
      }
    } else {
      result.deleted += await store.deleteOlderThan(key as Interval, cutoff)
    }
  }
  return result
}
