// SQL text helpers of the DuckDB store.
import type { DuckDBValue } from '@duckdb/node-api'
import type { Candle } from '../../domain/candle.js'

/**
 * A string literal, for the few statements DuckDB takes no parameters in: file paths of ATTACH,
 * EXPORT DATABASE, COPY ... TO, read_csv and read_parquet. Every other value is bound.
 */
export function sqlString (value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}

/** A candle as the bound values of a candles row, in column order. */
export function candleParams (c: Candle): DuckDBValue[] {
  return [c.symbol, c.interval, c.ts, c.open, c.high, c.low, c.close, c.volume]
}

/** The open (epoch ms) of the calendar month (UTC) holding the epoch-ms `column`. */
export function monthStartSql (column: string): string {
  return `epoch_ms(date_trunc('month', epoch_ms(${column})))`
}
