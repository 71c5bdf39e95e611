// What the PostgreSQL store reads a series with: the statement and bound values of a window of
// bars (native, or rolled up from 1m or its hours), and the series ranges its index starts from.
import type pg from 'pg'
import type { CandleTuple } from '../../domain/candle.js'
import { BASE_INTERVAL, HOUR_MS, type Interval } from '../../domain/intervals.js'
import type { TimeRange } from '../candle-store.js'
import type { Direction } from '../candle-windows.js'
import { sourceWindow, type ServingSource } from '../rollup-plan.js'
import { SeriesIndex } from '../series-index.js'
import { queryRows } from './connection.js'
import { FIRST_MINUTE_SQL, MINUTE_HOURS_SQL, SERIES_SQL, nativeSql, rollupSql } from './read-sql.js'
import { volumeDouble } from './volume-double.js'

export interface SeriesRead {
  /** Open times of the first and last bar the series can serve. */
  range: TimeRange
  sql: (dir: Direction) => string
  /** Bound values of `sql` for bars opening in [lo, hi]; a null limit reads them all. */
  params: (lo: number, hi: number, limit: number | null) => unknown[]
  /** The rows of `sql` as candle tuples. */
  tuples: (rows: unknown[][]) => CandleTuple[]
}

/** A rolled-up row (volume as exact decimal text) as a candle tuple. */
const rolledTuple = (r: unknown[]): CandleTuple =>
  [r[0] as number, r[1] as number, r[2] as number, r[3] as number, r[4] as number, volumeDouble(r[5] as string)]

export function seriesRead (symbol: string, interval: Interval, source: ServingSource): SeriesRead {
  if (source.native) {
    return { range: source.range, sql: nativeSql, params: (lo, hi, limit) => [symbol, interval, lo, hi, limit], tuples: (rows) => rows as CandleTuple[] }
  }
  const bounds = source.buckets.kind === 'fixed' ? [source.buckets.origin, source.buckets.width] : []
  return {
    range: source.range,
    sql: (dir) => rollupSql(source.buckets, source.base, dir),
    params: (lo, hi, limit) => {
      const w = sourceWindow(interval, lo, hi)
      return [symbol, source.base, w.first, w.last, limit, ...bounds]
    },
    tuples: (rows) => rows.map(rolledTuple)
  }
}

/** Every series' first and last open time: 1m's from the hourly roll-ups, the others from candle_series. */
export async function readSeriesIndex (pool: pg.Pool): Promise<SeriesIndex> {
  const index = new SeriesIndex()
  for (const [symbol, hour, last] of await queryRows<[string, number, number]>(pool, MINUTE_HOURS_SQL)) {
    const [[first]] = await queryRows<[number | null]>(pool, FIRST_MINUTE_SQL, [symbol, hour, hour + HOUR_MS - 1])
    index.note(symbol, BASE_INTERVAL, first ?? hour, last)
  }
  for (const [symbol, interval, first, last] of await queryRows<[string, Interval, number, number]>(pool, SERIES_SQL)) {
    index.note(symbol, interval, first, last)
  }
  return index
}
