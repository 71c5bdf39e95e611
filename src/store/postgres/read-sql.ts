// The reads of the PostgreSQL store. Every one is bounded by (symbol, interval, ts BETWEEN ...),
// a range scan of the primary key, so a read costs what it returns, not what the table holds.
import type { Direction } from '../candle-windows.js'
import type { BucketRule, RollupBase } from '../rollup-plan.js'

const order = (dir: Direction) => (dir === 'asc' ? 'ASC' : 'DESC')

/** At most $5 (null: all) native bars of ($1, $2) opening in [$3, $4]. */
export const nativeSql = (dir: Direction) => `
  SELECT ts, open, high, low, close, volume
  FROM candles
  WHERE symbol = $1 AND "interval" = $2 AND ts BETWEEN $3 AND $4
  ORDER BY ts ${order(dir)}
  LIMIT $5`

/** The table holding the source bars of a rolled-up interval. */
export const rollupTable = (base: RollupBase) => (base === '1h' ? 'candle_rollups' : 'candles')

/** The exact decimal volume of a source bar (a 1m candle's double, or an hour's stored decimal). */
const sourceVolume = (base: RollupBase) => (base === '1h' ? 'volume' : 'volume_decimal(volume)')

// The open of the earliest bar and the close of the latest: the smallest and largest (ts, price)
// pair (open times are below 2^53, exact as doubles). Unlike array_agg(... ORDER BY ts) this sorts
// nothing, which made hourly upkeep and roll-up reads over twice as fast.
export const FIRST_OPEN = '(min(ARRAY[ts::double precision, open]))[2]'
export const LAST_CLOSE = '(max(ARRAY[ts::double precision, close]))[2]'

/**
 * The OHLCV aggregates of source bars, in the order of a CandleTuple after its time: first open,
 * highest high, lowest low, last close, and the exact volume sum (as text for reads: see volume-double.ts).
 */
export const barAggregates = (base: RollupBase, volumeAsText = true) =>
  `${FIRST_OPEN}, max(high), min(low), ${LAST_CLOSE}, sum(${sourceVolume(base)})${volumeAsText ? '::text' : ''}`

// A month bucket opens on the first of its month (UTC); a fixed one at $6 + k * $7.
const bucketOf = (buckets: BucketRule) => buckets.kind === 'month'
  ? "(extract(epoch FROM date_trunc('month', TIMESTAMP 'epoch' + ts * INTERVAL '1 millisecond')) * 1000)::bigint"
  : 'ts - ((ts - $6::bigint) % $7::bigint)'

/** At most $5 bars of `interval` rolled up from ($1, base $2) source bars opening in [$3, $4]. */
export const rollupSql = (buckets: BucketRule, base: RollupBase, dir: Direction) => `
  SELECT b, ${barAggregates(base)}
  FROM (
    SELECT ${bucketOf(buckets)} AS b, ts, open, high, low, close, volume
    FROM ${rollupTable(base)}
    WHERE symbol = $1 AND "interval" = $2 AND ts BETWEEN $3 AND $4
  ) AS source
  GROUP BY b
  ORDER BY b ${order(dir)}
  LIMIT $5`

/** The bar so far of [$3, $4) from ($1, base $2), with the newest minute it holds. */
export const barSoFarSql = (base: RollupBase) => `
  SELECT ${barAggregates(base)}, max(${base === '1h' ? 'last_minute' : 'ts'})
  FROM ${rollupTable(base)}
  WHERE symbol = $1 AND "interval" = $2 AND ts >= $3 AND ts < $4`

/**
 * The runs of ($1, $2) bars in [$3, $4] without a hole: a run breaks where the next bar opens more
 * than $5 after the previous one.
 */
export const RUNS_SQL = `
  SELECT min(ts), max(ts)
  FROM (
    SELECT ts, count(*) FILTER (WHERE brk) OVER (ORDER BY ts) AS run
    FROM (
      SELECT ts, coalesce(ts - lag(ts) OVER (ORDER BY ts) > $5::bigint, true) AS brk
      FROM candles
      WHERE symbol = $1 AND "interval" = $2 AND ts BETWEEN $3 AND $4
    ) AS marked
  ) AS numbered
  GROUP BY run
  ORDER BY 1`

/** Stored rows per interval of one symbol. */
export const COUNTS_SQL = 'SELECT "interval", count(*)::integer FROM candles WHERE symbol = $1 GROUP BY "interval"'

/** First and last open time of one series (two index probes). */
export const SERIES_RANGE_SQL = 'SELECT min(ts), max(ts) FROM candles WHERE symbol = $1 AND "interval" = $2'

/** 1m's range per symbol, from the hourly roll-ups: the first hour and the newest minute. */
export const MINUTE_HOURS_SQL = 'SELECT symbol, min(ts), max(last_minute) FROM candle_rollups WHERE "interval" = \'1h\' GROUP BY symbol'

/** The oldest minute of one symbol within its first hour [$2, $3]. */
export const FIRST_MINUTE_SQL = 'SELECT min(ts) FROM candles WHERE symbol = $1 AND "interval" = \'1m\' AND ts BETWEEN $2 AND $3'

export const SERIES_SQL = 'SELECT symbol, "interval", first_ts, last_ts FROM candle_series'
