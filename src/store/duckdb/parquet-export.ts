// Writes the bars of a range to a Parquet file with DuckDB's COPY, on a connection of its own.
import { fixedIntervalMs } from '../../domain/intervals.js'
import type { CandleRange } from '../candle-store.js'
import { planRead } from '../candle-windows.js'
import type { DatabaseHandle } from './database.js'
import { NATIVE_SQL, type ReadSource } from './read-sql.js'
import { sqlString } from './sql.js'

/** Bars of `r` from `source` (undefined: the series is not stored) into `path`; resolves to the rows written. */
export async function writeParquet (db: DatabaseHandle, source: ReadSource | undefined, r: CandleRange, path: string, signal?: AbortSignal): Promise<number> {
  const plan = source === undefined ? undefined : planRead(r.interval, source.range, r.from, r.to)
  // The same statement as a page read, unlimited (LIMIT NULL), so the file holds exactly what
  // paging through getCandles returns; DuckDB sorts within DUCKDB_MEMORY_LIMIT, spilling to its
  // temp directory beyond it.
  // An empty range still writes a file, with the columns and no row (an empty ts window).
  const [sql, params] = source !== undefined && plan !== undefined
    ? [source.sql.asc, source.params(plan.lo, plan.hi, null)]
    : [NATIVE_SQL.asc, [r.symbol, r.interval, 1, 0, null]]
  const width = fixedIntervalMs(r.interval)
  const closeTime = width === undefined
    ? 'epoch_ms(epoch_ms(open_time::BIGINT) + INTERVAL 1 MONTH) - 1'
    : `open_time::BIGINT + ${width - 1}`
  // A connection of its own: the copy takes seconds for millions of rows and must not queue
  // the page reads of the API behind it.
  const con = await db.connect()
  const stop = () => con.interrupt()
  signal?.addEventListener('abort', stop, { once: true })
  try {
    if (signal?.aborted === true) throw new Error('the export was aborted')
    const result = await con.run(`
      COPY (
        SELECT open_time::BIGINT AS open_time, open, high, low, close, volume, (${closeTime})::BIGINT AS close_time
        FROM (${sql}) AS bars(open_time, open, high, low, close, volume)
      ) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION zstd)`, params)
    return Number(result.rowsChanged)
  } finally {
    signal?.removeEventListener('abort', stop)
    con.closeSync()
  }
}
