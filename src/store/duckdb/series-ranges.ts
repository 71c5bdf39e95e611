// The series ranges of a DuckDB file as the series index holds them: read whole at open, and
// re-read for one series after rows of it were deleted.
import { BASE_INTERVAL, HOUR_MS, type Interval } from '../../domain/intervals.js'
import type { SeriesIndex } from '../series-index.js'
import type { Writer } from './writer.js'

/**
 * Loads every series' first and last open time: 1m's from the hourly roll-ups (the newest minute
 * of the last hour; the oldest found inside the first hour), the others from candle_series.
 */
export async function loadSeriesIndex (writer: Writer, index: SeriesIndex): Promise<void> {
  const hours = await writer.rows(
    "SELECT symbol, min(ts)::DOUBLE, max(last_minute)::DOUBLE FROM candle_rollups WHERE interval = '1h' GROUP BY symbol"
  ) as Array<[string, number, number]>
  const firstMinutes = hours.length === 0
    ? []
    : await writer.rows(hours.map((_, i) => `
        SELECT $${3 * i + 1}::VARCHAR, min(ts)::DOUBLE FROM candles
        WHERE symbol = $${3 * i + 1} AND interval = '${BASE_INTERVAL}' AND ts BETWEEN $${3 * i + 2} AND $${3 * i + 3}`).join(' UNION ALL '),
    hours.flatMap(([symbol, hour]) => [symbol, hour, hour + HOUR_MS - 1])) as Array<[string, number | null]>
  const first = new Map(firstMinutes)
  const others = await writer.rows(
    'SELECT symbol, interval, first_ts::DOUBLE, last_ts::DOUBLE FROM candle_series'
  ) as Array<[string, Interval, number, number]>
  index.clear()
  for (const [symbol, hour, last] of hours) index.note(symbol, BASE_INTERVAL, first.get(symbol) ?? hour, last)
  for (const [symbol, interval, firstTs, lastTs] of others) index.note(symbol, interval, firstTs, lastTs)
}

/** Re-reads first/last of one series after rows were removed, in the index and in candle_series (inside a write job). */
export async function refreshSeries (writer: Writer, index: SeriesIndex, symbol: string, interval: Interval): Promise<void> {
  const [row] = await writer.rows(
    'SELECT min(ts)::DOUBLE, max(ts)::DOUBLE FROM candles WHERE symbol = $1 AND interval = $2', [symbol, interval])
  const range = row === undefined || row[0] === null ? undefined : { first: row[0] as number, last: row[1] as number }
  index.replace(symbol, interval, range)
  if (interval === BASE_INTERVAL) return
  await writer.exec('DELETE FROM candle_series WHERE symbol = $1 AND interval = $2', [symbol, interval])
  if (range !== undefined) await writer.exec('INSERT INTO candle_series VALUES ($1, $2, $3, $4)', [symbol, interval, range.first, range.last])
}
