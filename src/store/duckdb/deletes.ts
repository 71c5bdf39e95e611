// Deleting candles from a DuckDB file: a range of one series, or everything older than a cutoff
// (retention), with the hourly roll-ups and series ranges they leave behind brought in step.
import { BASE_INTERVAL, type Interval } from '../../domain/intervals.js'
import { hourOf, hoursTouched } from '../rollup-plan.js'
import type { SeriesIndex } from '../series-index.js'
import { rebuildHours } from './rollup-sql.js'
import { refreshSeries } from './series-ranges.js'
import type { Writer } from './writer.js'

export interface Deletion {
  deleted: number
  /** Symbols that lost rows. */
  symbols: Set<string>
}

/** Deletes the bars of one series opening in [from, to] (inside a write job). */
export async function deleteRange (writer: Writer, index: SeriesIndex, symbol: string, interval: Interval, from: number, to: number): Promise<Deletion> {
  const rows = await writer.rows(
    'DELETE FROM candles WHERE symbol = $1 AND interval = $2 AND ts BETWEEN $3 AND $4 RETURNING 1', [symbol, interval, from, to])
  if (rows.length === 0) return { deleted: 0, symbols: new Set() }
  if (interval === BASE_INTERVAL) {
    const { fromHour, toHour } = hoursTouched(from, to)
    await rebuildHours(writer.run, symbol, fromHour, toHour)
  }
  await refreshSeries(writer, index, symbol, interval)
  return { deleted: rows.length, symbols: new Set([symbol]) }
}

/** Deletes every bar of `interval` (every interval when undefined) opening before `cutoff` (inside a write job). */
export async function deleteOlderThan (writer: Writer, index: SeriesIndex, interval: Interval | undefined, cutoff: number): Promise<Deletion> {
  const rows = interval === undefined
    ? await writer.rows('DELETE FROM candles WHERE ts < $1 RETURNING symbol, interval', [cutoff])
    : await writer.rows('DELETE FROM candles WHERE interval = $1 AND ts < $2 RETURNING symbol, interval', [interval, cutoff])
  const touched = new Map<string, [string, Interval]>()
  for (const [symbol, iv] of rows) touched.set(`${symbol}|${iv}`, [symbol as string, iv as Interval])
  if (interval === undefined || interval === BASE_INTERVAL) {
    // Whole hours before the cutoff go; the hour the cutoff falls in is recomputed.
    const hour = hourOf(cutoff)
    await writer.exec("DELETE FROM candle_rollups WHERE interval = '1h' AND ts < $1", [hour])
    for (const symbol of new Set([...touched.values()].filter(([, iv]) => iv === BASE_INTERVAL).map(([sym]) => sym))) {
      await rebuildHours(writer.run, symbol, hour, hour)
    }
  }
  for (const [symbol, iv] of touched.values()) await refreshSeries(writer, index, symbol, iv)
  return { deleted: rows.length, symbols: new Set([...touched.values()].map(([symbol]) => symbol)) }
}
