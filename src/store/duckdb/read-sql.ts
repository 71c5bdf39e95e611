// The read statements of the DuckDB store: page reads of native and rolled-up bars, the bar so
// far of a live interval, and the runs of stored bars that gap finding works from.
import type { DuckDBValue } from '@duckdb/node-api'
import { BASE_INTERVAL, type Interval } from '../../domain/intervals.js'
import type { TimeRange } from '../candle-store.js'
import type { Direction } from '../candle-windows.js'
import type { GapWindow } from '../gaps.js'
import { VOLUME_DECIMALS, servingSource, sourceWindow, type BucketRule, type RollupBase } from '../rollup-plan.js'
import type { SeriesIndex } from '../series-index.js'
import { monthStartSql } from './sql.js'

/** The exact volume sum of a rolled-up bar (see rollup-plan.ts), before it becomes a double. */
export const VOLUME_SUM = `sum(volume::DECIMAL(38, ${VOLUME_DECIMALS}))`

/** The table holding the source bars of a roll-up base. */
export function rollupTable (base: RollupBase): 'candles' | 'candle_rollups' {
  return base === BASE_INTERVAL ? 'candles' : 'candle_rollups'
}

const order = (dir: Direction) => dir === 'asc' ? 'ASC' : 'DESC'

const nativeSql = (dir: Direction) => `
  SELECT ts::DOUBLE, open, high, low, close, volume
  FROM candles
  WHERE symbol = $1 AND interval = $2 AND ts BETWEEN $3 AND $4
  ORDER BY ts ${order(dir)}
  LIMIT $5`

/** A page of stored bars: ($1 symbol, $2 interval, $3..$4 open times, $5 limit or null). */
export const NATIVE_SQL: Readonly<Record<Direction, string>> = { asc: nativeSql('asc'), desc: nativeSql('desc') }

// A fixed-width bucket opens at $6 + k * $7 (the origin and width of its BucketRule).
const rollupSql = (base: RollupBase, buckets: BucketRule, dir: Direction) => `
  SELECT b::DOUBLE, arg_min(open, ts), max(high), min(low), arg_max(close, ts), ${VOLUME_SUM}::DOUBLE
  FROM (
    SELECT ${buckets.kind === 'month' ? monthStartSql('ts') : 'ts - ((ts - $6) % $7)'} AS b,
           ts, open, high, low, close, volume
    FROM ${rollupTable(base)}
    WHERE symbol = $1 AND interval = $2 AND ts BETWEEN $3 AND $4
  )
  GROUP BY b
  ORDER BY b ${order(dir)}
  LIMIT $5`

const ROLLUP_SQL = new Map<string, Readonly<Record<Direction, string>>>()

/** The page reads of bars rolled up from `base` into `buckets`, built once per kind. */
function rollupReads (base: RollupBase, buckets: BucketRule): Readonly<Record<Direction, string>> {
  const key = `${base}|${buckets.kind}`
  let sql = ROLLUP_SQL.get(key)
  if (sql === undefined) {
    sql = { asc: rollupSql(base, buckets, 'asc'), desc: rollupSql(base, buckets, 'desc') }
    ROLLUP_SQL.set(key, sql)
  }
  return sql
}

export interface ReadSource {
  /** Open times of the first and last bar the series can serve. */
  range: TimeRange
  /** The page read in each direction; LIMIT takes null for no limit. */
  sql: Readonly<Record<Direction, string>>
  /** Bound values of `sql` for bars opening in [lo, hi]. */
  params: (lo: number, hi: number, limit: number | null) => DuckDBValue[]
}

/** Where the bars of a series are read from: stored natively, or rolled up from 1m (or its hours). */
export function readSource (index: SeriesIndex, symbol: string, interval: Interval): ReadSource | undefined {
  const source = servingSource(index, symbol, interval)
  if (source === undefined) return undefined
  if (source.native) {
    return { range: source.range, sql: NATIVE_SQL, params: (lo, hi, limit) => [symbol, interval, lo, hi, limit] }
  }
  const { base, buckets } = source
  return {
    range: source.range,
    sql: rollupReads(base, buckets),
    params: (lo, hi, limit) => {
      const window = sourceWindow(interval, lo, hi)
      const bounds = [symbol, base, window.first, window.last, limit]
      return buckets.kind === 'month' ? bounds : [...bounds, buckets.origin, buckets.width]
    }
  }
}

/** The bar so far of a bucket [$3, $4) from its source bars ($1 symbol, $2 base), with the newest minute it holds. */
export function barSoFarSql (base: RollupBase): string {
  const newest = base === BASE_INTERVAL ? 'max(ts)::DOUBLE' : 'max(last_minute)::DOUBLE'
  return `
    SELECT arg_min(open, ts), max(high), min(low), arg_max(close, ts), ${VOLUME_SUM}::DOUBLE, ${newest}
    FROM ${rollupTable(base)} WHERE symbol = $1 AND interval = $2 AND ts >= $3 AND ts < $4`
}

/**
 * The runs of consecutive stored bars of one series in a gap window, ascending: bars one step
 * apart share `ts - row_number * step`, so each run is one group.
 */
export const RUNS_SQL = `
  SELECT min(ts)::DOUBLE, max(ts)::DOUBLE FROM (
    SELECT ts, ts - row_number() OVER (ORDER BY ts) * $5 AS run
    FROM candles WHERE symbol = $1 AND interval = $2 AND ts BETWEEN $3 AND $4
  )
  GROUP BY run ORDER BY 1`

export function runsParams (symbol: string, interval: Interval, window: GapWindow): DuckDBValue[] {
  return [symbol, interval, window.lo, window.hi, window.step]
}
