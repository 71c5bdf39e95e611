// The writes of the PostgreSQL store. A batch is copied into the writer's temporary staging
// table, then moved into candles and folded into the hourly roll-ups by these statements, all
// in one transaction; the staging table empties itself at commit.
import { HOUR_MS } from '../../domain/intervals.js'
import { LAST_CLOSE, barAggregates } from './read-sql.js'

export const STAGE_TABLE = 'candles_stage'

export const CREATE_STAGE_SQL = `CREATE TEMP TABLE IF NOT EXISTS ${STAGE_TABLE} (LIKE candles) ON COMMIT DELETE ROWS`

const CANDLE_KEY = '(symbol, "interval", ts)'

/** Moves the staged rows into candles; `replace` overwrites stored rows of the same key. */
export const moveStageSql = (replace: boolean) => `
  INSERT INTO candles SELECT * FROM ${STAGE_TABLE}
  ${replace
    ? `ON CONFLICT ${CANDLE_KEY} DO UPDATE SET open = excluded.open, high = excluded.high, low = excluded.low,
       close = excluded.close, volume = excluded.volume`
    : ''}`

export const INSERT_ROW_SQL = `INSERT INTO ${STAGE_TABLE} VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

const REPLACE_HOUR = `ON CONFLICT ${CANDLE_KEY} DO UPDATE SET open = excluded.open, high = excluded.high, low = excluded.low,
  close = excluded.close, volume = excluded.volume, minutes = excluded.minutes, last_minute = excluded.last_minute`

const hourRows = (table: string, where: string) => `
  INSERT INTO candle_rollups
  SELECT symbol, '1h', ts - ts % ${HOUR_MS} AS hour, ${barAggregates('1m', false)}, count(*)::integer, max(ts)
  FROM ${table}
  WHERE symbol = $1 AND "interval" = '1m' AND ${where}
  GROUP BY symbol, hour
  ${REPLACE_HOUR}`

/** Recomputes the hourly roll-ups of symbol $1 for the minutes in [$2, $3] from its stored 1m candles. */
export const REFRESH_HOURS_SQL = hourRows('candles', 'ts BETWEEN $2 AND $3')

/** Inserts the hours from $2 on of the staged minutes of $1, every one of them new. */
export const INSERT_HOURS_SQL = hourRows(STAGE_TABLE, 'ts >= $2')

/** Merges the staged minutes of hour $2 into its stored roll-up; they are all newer than its minutes. */
export const EXTEND_HOUR_SQL = `
  UPDATE candle_rollups r
  SET high = greatest(r.high, m.high), low = least(r.low, m.low), close = m.close,
      volume = r.volume + m.volume, minutes = r.minutes + m.minutes, last_minute = m.last_minute
  FROM (
    SELECT max(high) AS high, min(low) AS low, ${LAST_CLOSE} AS close,
           sum(volume_decimal(volume)) AS volume, count(*)::integer AS minutes, max(ts) AS last_minute
    FROM ${STAGE_TABLE}
    WHERE symbol = $1 AND "interval" = '1m' AND ts < $2::bigint + ${HOUR_MS}
  ) AS m
  WHERE r.symbol = $1 AND r."interval" = '1h' AND r.ts = $2 AND m.minutes > 0`

/** Removes symbol $1's hourly roll-ups for hours [$2, $3]. */
export const DELETE_HOURS_SQL = 'DELETE FROM candle_rollups WHERE symbol = $1 AND "interval" = \'1h\' AND ts BETWEEN $2 AND $3'

/** Removes symbol $1's hourly roll-ups of hours before $2. */
export const DELETE_HOURS_BEFORE_SQL = 'DELETE FROM candle_rollups WHERE symbol = $1 AND "interval" = \'1h\' AND ts < $2'

/** Widens the stored range of series ($1, $2) to take in [$3, $4]. */
export const EXTEND_SERIES_SQL = `
  INSERT INTO candle_series VALUES ($1, $2, $3, $4)
  ON CONFLICT (symbol, "interval") DO UPDATE
  SET first_ts = least(candle_series.first_ts, excluded.first_ts), last_ts = greatest(candle_series.last_ts, excluded.last_ts)`

export const DELETE_SERIES_SQL = 'DELETE FROM candle_series WHERE symbol = $1 AND "interval" = $2'
export const INSERT_SERIES_SQL = 'INSERT INTO candle_series VALUES ($1, $2, $3, $4)'

export const DELETE_RANGE_SQL = 'DELETE FROM candles WHERE symbol = $1 AND "interval" = $2 AND ts BETWEEN $3 AND $4'
export const DELETE_BEFORE_SQL = 'DELETE FROM candles WHERE symbol = $1 AND "interval" = $2 AND ts < $3'
