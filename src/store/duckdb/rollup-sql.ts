// The hourly roll-ups of 1m candles in DuckDB (candle_rollups), kept in step with every write as
// rollup-plan.ts decides, and the stored ranges of the other series (candle_series).
import type { DuckDBValue } from '@duckdb/node-api'
import type { Candle } from '../../domain/candle.js'
import { BASE_INTERVAL, HOUR_MS } from '../../domain/intervals.js'
import { VOLUME_DECIMALS, type HourUpkeep } from '../rollup-plan.js'
import type { SeriesSpan } from '../write-batch.js'
import { STAGE_TABLE } from './bulk-writes.js'
import { VOLUME_SUM } from './read-sql.js'

/** Runs one statement of the writer, saying how many rows it changed. */
export type RunStatement = (sql: string, params?: DuckDBValue[]) => Promise<{ rowsChanged: number }>

/** candle_rollups rows of the 1m candles of `table` matching `where`, one per (symbol, hour). */
export function hourlyRollups (table: string, where: string): string {
  return `
  SELECT symbol, '1h', ts - ts % ${HOUR_MS} AS hour,
         arg_min(open, ts), max(high), min(low), arg_max(close, ts),
         ${VOLUME_SUM}, count(*)::INTEGER, max(ts)
  FROM ${table}
  WHERE ${where} AND interval = '${BASE_INTERVAL}'
  GROUP BY symbol, hour`
}

// Recomputes the hourly roll-ups of one symbol's hours in [$2, $3] from its 1m candles.
const REFRESH_HOURS_SQL = `INSERT OR REPLACE INTO candle_rollups ${hourlyRollups('candles', 'symbol = $1 AND ts BETWEEN $2 AND $3')}`

// Staged minutes newer than every stored minute of their symbol extend the hourly roll-ups
// instead of recomputing them from the candles table (a scan, and INSERT OR REPLACE, made up most
// of what a live close cost): the hour $2 of the newest stored minute gets the new minutes of
// that hour merged into its row...
const EXTEND_HOUR_SQL = `
  UPDATE candle_rollups r
  SET high = greatest(r.high, m.high), low = least(r.low, m.low), close = m.close,
      volume = r.volume + m.volume, minutes = r.minutes + m.minutes, last_minute = m.last_minute
  FROM (
    SELECT max(high) AS high, min(low) AS low, arg_max(close, ts) AS close,
           ${VOLUME_SUM} AS volume, count(*)::INTEGER AS minutes, max(ts) AS last_minute
    FROM ${STAGE_TABLE}
    WHERE symbol = $1 AND interval = '${BASE_INTERVAL}' AND ts < $2 + ${HOUR_MS}
  ) m
  WHERE r.symbol = $1 AND r.interval = '1h' AND r.ts = $2 AND m.minutes > 0`

// ...and every later hour, from $2 on, is new: a plain insert of the staged minutes' aggregates.
const INSERT_HOURS_SQL = `INSERT INTO candle_rollups ${hourlyRollups(STAGE_TABLE, 'symbol = $1 AND ts >= $2')}`

/** One new minute (open time $7: high $3, low $4, close $5, volume $6) of an hour $2 already stored. */
export const EXTEND_HOUR_BY_MINUTE_SQL = `
  UPDATE candle_rollups
  SET high = greatest(high, $3), low = least(low, $4), close = $5,
      volume = volume + ($6::DOUBLE)::DECIMAL(38, ${VOLUME_DECIMALS}), minutes = minutes + 1, last_minute = $7
  WHERE symbol = $1 AND interval = '1h' AND ts = $2`

/** The first minute (open time $8: open $3, high $4, low $5, close $6, volume $7) of a new hour $2. */
export const INSERT_HOUR_SQL = `
  INSERT INTO candle_rollups VALUES ($1, '1h', $2, $3, $4, $5, $6, ($7::DOUBLE)::DECIMAL(38, ${VOLUME_DECIMALS}), 1, $8)`

/** The stored range of a series other than 1m ($1 symbol, $2 interval), widened to take in [$3, $4]. */
export const EXTEND_SERIES_SQL = `
  INSERT INTO candle_series VALUES ($1, $2, $3, $4)
  ON CONFLICT DO UPDATE SET first_ts = least(first_ts, excluded.first_ts), last_ts = greatest(last_ts, excluded.last_ts)`

async function refreshHour (run: RunStatement, symbol: string, hour: number): Promise<void> {
  await run(REFRESH_HOURS_SQL, [symbol, hour, hour + HOUR_MS - 1])
}

/**
 * Brings the hourly roll-ups of `span` (one symbol's 1m rows, just written inside the write's
 * transaction) in step, as `upkeep` says. `minute` is the one row of a write bound without the
 * staging table; otherwise the new minutes are read from the staging table.
 */
export async function keepHours (run: RunStatement, span: SeriesSpan, upkeep: HourUpkeep, minute?: Candle): Promise<void> {
  const { symbol } = span
  if (upkeep.kind === 'rebuild') {
    await run(REFRESH_HOURS_SQL, [symbol, upkeep.fromHour, upkeep.toHour + HOUR_MS - 1])
    return
  }
  if (minute !== undefined) {
    const c = minute
    if (upkeep.extendHour === undefined) {
      await run(INSERT_HOUR_SQL, [symbol, upkeep.insertFrom!, c.open, c.high, c.low, c.close, c.volume, c.ts])
      return
    }
    const { rowsChanged } = await run(EXTEND_HOUR_BY_MINUTE_SQL, [symbol, upkeep.extendHour, c.high, c.low, c.close, c.volume, c.ts])
    // The roll-ups always hold the hour of the newest minute; should they not, recompute it.
    if (rowsChanged !== 1) await refreshHour(run, symbol, upkeep.extendHour)
    return
  }
  if (upkeep.extendHour !== undefined) {
    const { rowsChanged } = await run(EXTEND_HOUR_SQL, [symbol, upkeep.extendHour])
    if (rowsChanged !== 1) await refreshHour(run, symbol, upkeep.extendHour)
  }
  if (upkeep.insertFrom !== undefined) await run(INSERT_HOURS_SQL, [symbol, upkeep.insertFrom])
}

/** Recomputes one symbol's hourly roll-ups for hours [fromHour, toHour] after 1m rows went away. */
export async function rebuildHours (run: RunStatement, symbol: string, fromHour: number, toHour: number): Promise<void> {
  await run("DELETE FROM candle_rollups WHERE symbol = $1 AND interval = '1h' AND ts BETWEEN $2 AND $3", [symbol, fromHour, toHour])
  await run(REFRESH_HOURS_SQL, [symbol, fromHour, toHour + HOUR_MS - 1])
}
