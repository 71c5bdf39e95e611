// Deletions on the PostgreSQL store, each inside the caller's write transaction: the rows go,
// the hourly roll-ups of deleted minutes are recomputed from what is left, and the series'
// range is re-read (and candle_series kept in step) for the index.
import type pg from 'pg'
import { BASE_INTERVAL, HOUR_MS, type Interval } from '../../domain/intervals.js'
import type { TimeRange } from '../candle-store.js'
import { hourOf, hoursTouched } from '../rollup-plan.js'
import { SERIES_RANGE_SQL } from './read-sql.js'
import {
  DELETE_BEFORE_SQL, DELETE_HOURS_BEFORE_SQL, DELETE_HOURS_SQL, DELETE_RANGE_SQL, DELETE_SERIES_SQL, INSERT_SERIES_SQL, REFRESH_HOURS_SQL
} from './write-sql.js'

export interface SeriesKey {
  symbol: string
  interval: Interval
}

/** What a deletion left of one series: its new range, undefined when no row is left. */
export interface SeriesAfter extends SeriesKey {
  range: TimeRange | undefined
}

/** Re-reads one series' range, keeping candle_series in step; undefined when none is left. */
async function rereadRange (client: pg.Client, symbol: string, interval: Interval): Promise<TimeRange | undefined> {
  const [[first, last]] = (await client.query<[number | null, number | null]>({ text: SERIES_RANGE_SQL, values: [symbol, interval], rowMode: 'array' })).rows
  const range = first === null || first === undefined ? undefined : { first, last: last! }
  if (interval !== BASE_INTERVAL) {
    await client.query(DELETE_SERIES_SQL, [symbol, interval])
    if (range !== undefined) await client.query(INSERT_SERIES_SQL, [symbol, interval, range.first, range.last])
  }
  return range
}

/** Deletes the bars of one series opening in [from, to]. */
export async function deleteSeriesRange (client: pg.Client, symbol: string, interval: Interval, from: number, to: number): Promise<{ deleted: number, range: TimeRange | undefined }> {
  const deleted = (await client.query(DELETE_RANGE_SQL, [symbol, interval, from, to])).rowCount ?? 0
  if (deleted === 0) return { deleted, range: undefined }
  if (interval === BASE_INTERVAL) {
    const { fromHour, toHour } = hoursTouched(from, to)
    await client.query(DELETE_HOURS_SQL, [symbol, fromHour, toHour])
    await client.query(REFRESH_HOURS_SQL, [symbol, fromHour, toHour + HOUR_MS - 1])
  }
  return { deleted, range: await rereadRange(client, symbol, interval) }
}

/** Deletes the bars of each series opening before `cutoff`; `ranges` lists the series that lost rows. */
export async function deleteSeriesBefore (client: pg.Client, series: readonly SeriesKey[], cutoff: number): Promise<{ deleted: number, ranges: SeriesAfter[] }> {
  let deleted = 0
  const ranges: SeriesAfter[] = []
  for (const s of series) {
    const n = (await client.query(DELETE_BEFORE_SQL, [s.symbol, s.interval, cutoff])).rowCount ?? 0
    if (n === 0) continue
    deleted += n
    if (s.interval === BASE_INTERVAL) {
      // Whole hours before the cutoff go; the hour the cutoff falls in is recomputed.
      const hour = hourOf(cutoff)
      await client.query(DELETE_HOURS_BEFORE_SQL, [s.symbol, hour + HOUR_MS])
      await client.query(REFRESH_HOURS_SQL, [s.symbol, hour, hour + HOUR_MS - 1])
    }
    ranges.push({ ...s, range: await rereadRange(client, s.symbol, s.interval) })
  }
  return { deleted, ranges }
}
