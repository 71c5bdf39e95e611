// The DuckDB candle repository: the only module that writes SQL against the candles table.
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { BIGINT, DOUBLE, DuckDBDataChunk, VARCHAR, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api'
import type { Candle, CandleTuple } from '../domain/candle.js'
import type { SymbolParts } from '../domain/symbols.js'
import { silentLog, type Log } from '../log.js'
import {
  BASE_INTERVAL, INTERVALS, WEEK_ORIGIN_MS, addBuckets, bucketStart, bucketStartAtOrAfter, fixedIntervalMs, type Interval
} from '../domain/intervals.js'
import type {
  CandleQuery, CandleRange, CandleStore, CsvLoadResult, IntervalRange, TimeRange, UpsertResult, WriteListener
} from './candle-store.js'
import { klineCsvRelation, type CsvFile } from './kline-csv-sql.js'
import { planRead, readWindowed, servableRange, type Direction } from './candle-windows.js'
import { DATABASE_ALIAS, MEMORY_PATH, openDatabase, type DatabaseHandle } from './duckdb-database.js'
import { applyMigrations, loadSymbolCatalog, stderrLog, upgradeLegacyFile } from './schema-setup.js'
import { PreparedStatements } from './prepared-statements.js'
import { SerialQueue } from '../async/serial-queue.js'
import { interruptible } from './query-interrupt.js'
import { CheckpointBudget, MAX_TRANSACTION_ROWS, STAGE_TABLE, dropStage, resetStage, slices } from './bulk-writes.js'

export interface DuckDbStoreOptions {
  /** File path, or ':memory:'. */
  path: string
  threads?: number
  memoryLimit?: string
  /** Reader connections; reads run in parallel across them. */
  readers?: number
  /** Where schema changes at open are reported (default: warnings to stderr). */
  log?: Log
}

interface PooledConnection {
  con: DuckDBConnection
  queue: SerialQueue
  statements: PreparedStatements
}

/** Rows per appended chunk (DuckDB's vector size). */
const CHUNK_ROWS = 2048
/** Appending yields to the event loop every this many chunks, so a large batch does not freeze the server. */
const YIELD_EVERY_CHUNKS = 10
const STAGE_TYPES = [VARCHAR, VARCHAR, BIGINT, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE]

export interface KlineCsvFile extends CsvFile {
  symbol: string
}

interface SeriesSpan {
  symbol: string
  interval: Interval
  first: number
  last: number
}

/** Where the rows of a write come from. */
type WriteSource =
  | { kind: 'row', candle: Candle }
  | { kind: 'stage' }
  | { kind: 'sql', sql: string, replace: boolean }

/**
 * The candles with each key once, the last version winning (INSERT OR REPLACE rejects a key twice
 * in one statement). A page or a live close is one series in ascending order, unique as it is.
 */
function uniqueCandles (candles: readonly Candle[]): readonly Candle[] {
  const first = candles[0]
  let ordered = true
  for (let i = 1; i < candles.length && ordered; i++) {
    const c = candles[i]!
    ordered = c.symbol === first!.symbol && c.interval === first!.interval && c.ts > candles[i - 1]!.ts
  }
  if (ordered) return candles
  const unique = new Map<string, Candle>()
  for (const c of candles) unique.set(`${c.symbol}\u0000${c.interval}\u0000${c.ts}`, c)
  return [...unique.values()]
}

/** First and last open time of each (symbol, interval) among `candles`. */
function seriesSpans (candles: readonly Candle[]): SeriesSpan[] {
  const spans = new Map<string, SeriesSpan>()
  for (const c of candles) {
    const key = `${c.symbol}\u0000${c.interval}`
    const r = spans.get(key)
    if (r === undefined) spans.set(key, { symbol: c.symbol, interval: c.interval, first: c.ts, last: c.ts })
    else {
      if (c.ts < r.first) r.first = c.ts
      if (c.ts > r.last) r.last = c.ts
    }
  }
  return [...spans.values()]
}

/** A candle as the bound values of a candles row, in column order. */
function candleParams (c: Candle): DuckDBValue[] {
  return [c.symbol, c.interval, c.ts, c.open, c.high, c.low, c.close, c.volume]
}

/** A string literal for statements that take no parameters (file paths of EXPORT, IMPORT, read_csv). */
function sqlString (value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}

export { restoreDatabase } from './restore-database.js'

const nativeSql = (dir: Direction) => `
  SELECT ts::DOUBLE, open, high, low, close, volume
  FROM candles
  WHERE symbol = $1 AND interval = $2 AND ts BETWEEN $3 AND $4
  ORDER BY ts ${dir === 'asc' ? 'ASC' : 'DESC'}
  LIMIT $5`
const NATIVE_SQL = { asc: nativeSql('asc'), desc: nativeSql('desc') }

/** Bars per page of streamCandles: a few hundred kB of rows, one short read each. */
const STREAM_PAGE_ROWS = 8192

interface ReadSource {
  /** Open times of the first and last bar the series can serve. */
  range: TimeRange
  /** The page read in each direction; LIMIT takes null for no limit. */
  sql: Record<Direction, string>
  /** Bound values of `sql` for bars opening in [lo, hi]. */
  params: (lo: number, hi: number, limit: number | null) => DuckDBValue[]
}

/** Where a rolled-up interval is aggregated from: 1m candles, or the hourly roll-ups for 1h and up. */
interface RollupSource {
  table: 'candles' | 'candle_rollups'
  base: Interval
}

const HOUR_MS = 3_600_000
const hourOf = (ts: number) => ts - (ts % HOUR_MS)
const MINUTES: RollupSource = { table: 'candles', base: BASE_INTERVAL }
const HOURS: RollupSource = { table: 'candle_rollups', base: '1h' }

function rollupSource (interval: Interval): RollupSource {
  return interval === '1M' || (fixedIntervalMs(interval) ?? 0) % HOUR_MS === 0 ? HOURS : MINUTES
}

// Open is the first bar's open and close the last bar's close. Volume is summed as an exact
// decimal at Binance's 8-decimal precision: a float sum over thousands of minutes drifts in the last
// digits, which clients would see as 1234.56789001.
const ROLLUP_SQL = (interval: Interval, source: RollupSource, dir: Direction) => `
  SELECT b::DOUBLE, arg_min(open, ts), max(high), min(low), arg_max(close, ts), sum(volume::DECIMAL(38, 8))::DOUBLE
  FROM (
    SELECT ${interval === '1M' ? "epoch_ms(date_trunc('month', epoch_ms(ts)))" : 'ts - ((ts - $6) % $7)'} AS b,
           ts, open, high, low, close, volume
    FROM ${source.table}
    WHERE symbol = $1 AND interval = $2 AND ts BETWEEN $3 AND $4
  )
  GROUP BY b
  ORDER BY b ${dir === 'asc' ? 'ASC' : 'DESC'}
  LIMIT $5`

// Recomputes the hourly roll-ups of one symbol's hours in [$2, $3] from its 1m candles.
const REFRESH_HOURS_SQL = `
  INSERT OR REPLACE INTO candle_rollups
  SELECT symbol, '1h', ts - ts % ${HOUR_MS} AS hour,
         arg_min(open, ts), max(high), min(low), arg_max(close, ts),
         sum(volume::DECIMAL(38, 8)), count(*)::INTEGER, max(ts)
  FROM candles
  WHERE symbol = $1 AND interval = '${BASE_INTERVAL}' AND ts BETWEEN $2 AND $3
  GROUP BY symbol, hour`

// Staged 1m candles newer than every stored minute of their symbol extend the hourly roll-ups
// instead of recomputing them from the candles table (a scan, and INSERT OR REPLACE, made up most
// of what a live close cost): the hour $2 of the newest stored minute is the only one that can
// already hold minutes, and gets the new minutes of that hour merged into its row...
const EXTEND_HOUR_SQL = `
  UPDATE candle_rollups r
  SET high = greatest(r.high, m.high), low = least(r.low, m.low), close = m.close,
      volume = r.volume + m.volume, minutes = r.minutes + m.minutes, last_minute = m.last_minute
  FROM (
    SELECT max(high) AS high, min(low) AS low, arg_max(close, ts) AS close,
           sum(volume::DECIMAL(38, 8)) AS volume, count(*)::INTEGER AS minutes, max(ts) AS last_minute
    FROM candles_stage
    WHERE symbol = $1 AND interval = '${BASE_INTERVAL}' AND ts < $2 + ${HOUR_MS}
  ) m
  WHERE r.symbol = $1 AND r.interval = '1h' AND r.ts = $2 AND m.minutes > 0`

// One new minute (open time $7: high $3, low $4, close $5, volume $6) of an hour $2 already stored.
const EXTEND_HOUR_BY_MINUTE_SQL = `
  UPDATE candle_rollups
  SET high = greatest(high, $3), low = least(low, $4), close = $5,
      volume = volume + ($6::DOUBLE)::DECIMAL(38, 8), minutes = minutes + 1, last_minute = $7
  WHERE symbol = $1 AND interval = '1h' AND ts = $2`

// The first minute (open time $8: open $3, high $4, low $5, close $6, volume $7) of a new hour $2.
const INSERT_HOUR_SQL = `
  INSERT INTO candle_rollups VALUES ($1, '1h', $2, $3, $4, $5, $6, ($7::DOUBLE)::DECIMAL(38, 8), 1, $8)`

// The stored range of a series other than 1m, widened to take in [$3, $4].
const EXTEND_SERIES_SQL = `
  INSERT INTO candle_series VALUES ($1, $2, $3, $4)
  ON CONFLICT DO UPDATE SET first_ts = least(first_ts, excluded.first_ts), last_ts = greatest(last_ts, excluded.last_ts)`

// ...and every later hour, from $2 on, is new: a plain insert of the staged minutes' aggregates.
const INSERT_HOURS_SQL = `
  INSERT INTO candle_rollups
  SELECT symbol, '1h', ts - ts % ${HOUR_MS} AS hour,
         arg_min(open, ts), max(high), min(low), arg_max(close, ts),
         sum(volume::DECIMAL(38, 8)), count(*)::INTEGER, max(ts)
  FROM candles_stage
  WHERE symbol = $1 AND interval = '${BASE_INTERVAL}' AND ts >= $2
  GROUP BY symbol, hour`

export class DuckDbCandleStore implements CandleStore {
  /** (symbol → interval → first/last open time) of everything stored, kept in step with writes. */
  private readonly index = new Map<string, Map<Interval, TimeRange>>()
  private readonly listeners = new Set<WriteListener>()
  private readonly writeQueue = new SerialQueue()
  private readonly checkpointBudget = new CheckpointBudget()
  /** The writer's statements that run on every write. */
  private writerStatements: PreparedStatements
  private closed = false
  /** Base and quote assets from catalog_symbols, when the file has one. */
  private catalog = new Map<string, SymbolParts>()
  /** e.g. "DuckDB v1.5.5". */
  engineVersion = 'DuckDB'
  private log: Log = silentLog

  private constructor (
    private readonly db: DatabaseHandle,
    private writer: DuckDBConnection,
    private readonly readers: PooledConnection[]
  ) {
    this.writerStatements = new PreparedStatements(writer)
  }

  static async open (opts: DuckDbStoreOptions): Promise<DuckDbCandleStore> {
    const log = opts.log ?? stderrLog()
    const dbOptions = { threads: opts.threads, memoryLimit: opts.memoryLimit }
    await upgradeLegacyFile(opts.path, dbOptions, log)
    const db = await openDatabase(opts.path, dbOptions)
    const connections: DuckDBConnection[] = []
    try {
      const writer = await db.connect()
      connections.push(writer)
      await applyMigrations(db, writer, log)
      const readers: PooledConnection[] = []
      for (let i = 0; i < Math.max(1, opts.readers ?? 4); i++) {
        const con = await db.connect()
        connections.push(con)
        readers.push({ con, queue: new SerialQueue(), statements: new PreparedStatements(con) })
      }
      const store = new DuckDbCandleStore(db, writer, readers)
      store.log = log
      store.engineVersion = `DuckDB ${String((await writer.runAndReadAll('SELECT version()')).getRows()[0]![0])}`
      await store.loadIndex()
      store.catalog = await loadSymbolCatalog(writer)
      await store.prepareHotStatements()
      return store
    } catch (err) {
      for (const c of connections) c.closeSync()
      db.release()
      throw err
    }
  }

  /**
   * Prepares the statements of a live close and of a latest-N read up front, so the first of
   * each does not pay for parsing and planning (a few milliseconds) on top of its own work.
   */
  private async prepareHotStatements (): Promise<void> {
    const writes = [
      ...['INSERT', 'INSERT OR REPLACE'].map((verb) => `${verb} INTO candles VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`),
      EXTEND_HOUR_BY_MINUTE_SQL, INSERT_HOUR_SQL
    ]
    for (const sql of writes) await this.writerStatements.get(sql)
    for (const r of this.readers) await r.statements.get(NATIVE_SQL.desc)
  }

  get path (): string {
    return this.db.path.startsWith(MEMORY_PATH) ? MEMORY_PATH : this.db.path
  }

  /**
   * Loads every series' first and last open time: 1m's from the hourly roll-ups (the newest minute
   * of the last hour; the oldest found inside the first hour), the others from candle_series.
   */
  private async loadIndex (): Promise<void> {
    const hours = (await this.writer.runAndReadAll(
      "SELECT symbol, min(ts)::DOUBLE, max(last_minute)::DOUBLE FROM candle_rollups WHERE interval = '1h' GROUP BY symbol"
    )).getRows() as Array<[string, number, number]>
    const firstMinutes = hours.length === 0
      ? []
      : (await this.writer.runAndReadAll(hours.map((_, i) => `
          SELECT $${3 * i + 1}::VARCHAR, min(ts)::DOUBLE FROM candles
          WHERE symbol = $${3 * i + 1} AND interval = '${BASE_INTERVAL}' AND ts BETWEEN $${3 * i + 2} AND $${3 * i + 3}`).join(' UNION ALL '),
        hours.flatMap(([symbol, hour]) => [symbol, hour, hour + HOUR_MS - 1]))).getRows() as Array<[string, number | null]>
    const first = new Map(firstMinutes)
    const others = (await this.writer.runAndReadAll(
      'SELECT symbol, interval, first_ts::DOUBLE, last_ts::DOUBLE FROM candle_series'
    )).getRows() as Array<[string, Interval, number, number]>
    this.index.clear()
    for (const [symbol, hour, last] of hours) this.noteRange(symbol, BASE_INTERVAL, first.get(symbol) ?? hour, last)
    for (const [symbol, interval, firstTs, lastTs] of others) this.noteRange(symbol, interval, firstTs, lastTs)
  }

  private noteRange (symbol: string, interval: Interval, first: number, last: number): void {
    let bySymbol = this.index.get(symbol)
    if (bySymbol === undefined) {
      bySymbol = new Map()
      this.index.set(symbol, bySymbol)
    }
    const r = bySymbol.get(interval)
    if (r === undefined) bySymbol.set(interval, { first, last })
    else {
      r.first = Math.min(r.first, first)
      r.last = Math.max(r.last, last)
    }
  }

  private read<T> (job: (con: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.onReader((r) => job(r.con))
  }

  private onReader<T> (job: (reader: PooledConnection) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('candle store is closed'))
    let best = this.readers[0]!
    for (const r of this.readers) if (r.queue.size < best.queue.size) best = r
    return best.queue.run(() => job(best))
  }

  /**
   * Rows of a read that runs on every request (a window or roll-up), through the reader's prepared
   * statement; one whose `signal` aborted while it waited for the reader never runs, and one
   * running when it aborts is interrupted.
   */
  private readRows (sql: string, params: DuckDBValue[], signal?: AbortSignal): Promise<DuckDBValue[][]> {
    return this.onReader((r) => interruptible(r.con, signal, async () => (await (await r.statements.get(sql, params)).runAndReadAll()).getRows()))
  }

  /**
   * Runs a write in the write queue. A write that failed (out of memory, I/O error) can leave
   * the writer connection holding state of its own: rows of a failed append turned up in the
   * next write's staging table and made it fail with duplicate keys. The writer is therefore
   * replaced by a fresh connection after any failure; committed data is in the database, not in
   * the connection, so nothing committed is lost.
   */
  private async writeJob<T> (job: () => Promise<T>): Promise<T> {
    return await this.writeQueue.run(async () => {
      try {
        return await job()
      } catch (err) {
        await this.renewWriter()
        throw err
      }
    })
  }

  private async renewWriter (): Promise<void> {
    if (this.closed) return
    const fresh = await this.db.connect()
    this.writerStatements.destroy()
    this.writer.closeSync()
    this.writer = fresh
    this.writerStatements = new PreparedStatements(fresh)
  }

  /** Runs one of the writer's recurring statements (inside the write queue). */
  private async write (sql: string, params: DuckDBValue[] = []): Promise<{ rowsChanged: number }> {
    return await (await this.writerStatements.get(sql, params)).run()
  }

  async upsertBatch (candles: readonly Candle[]): Promise<UpsertResult> {
    if (this.closed) throw new Error('candle store is closed')
    const rows = uniqueCandles(candles)
    if (rows.length === 0) return { rows: 0, symbols: [] }
    if (rows.length > MAX_TRANSACTION_ROWS) {
      // A transaction's new index entries stay in memory until it commits: bound them.
      const symbols = new Set<string>()
      for (const part of slices(rows)) for (const s of (await this.upsertBatch(part)).symbols) symbols.add(s)
      return { rows: rows.length, symbols: [...symbols] }
    }
    return await this.writeJob(async () => {
      const started = performance.now()
      const spans = seriesSpans(rows)
      // A live close is one candle: bound straight into the statements, it skips the staging table.
      if (rows.length === 1) return await this.commit(spans, 1, started, { kind: 'row', candle: rows[0]! })
      try {
        await resetStage(this.writer)
        await this.stageCandles(rows)
        return await this.commit(spans, rows.length, started, { kind: 'stage' })
      } finally {
        await dropStage(this.writer)
      }
    })
  }

  /** Appends candles to the staging table in column chunks. */
  private async stageCandles (candles: readonly Candle[]): Promise<void> {
    const appender = await this.writer.createAppender(STAGE_TABLE)
    try {
      for (let i = 0; i < candles.length; i += CHUNK_ROWS) {
        const part = candles.slice(i, i + CHUNK_ROWS)
        const chunk = DuckDBDataChunk.create(STAGE_TYPES, part.length)
        chunk.setColumns([
          part.map((c) => c.symbol), part.map((c) => c.interval), part.map((c) => BigInt(c.ts)),
          part.map((c) => c.open), part.map((c) => c.high), part.map((c) => c.low), part.map((c) => c.close), part.map((c) => c.volume)
        ])
        appender.appendDataChunk(chunk)
        if ((i / CHUNK_ROWS) % YIELD_EVERY_CHUNKS === YIELD_EVERY_CHUNKS - 1) {
          appender.flushSync()
          await yieldToLoop()
        }
      }
    } finally {
      appender.closeSync()
    }
  }

  /**
   * Moves rows into candles in one transaction (one bound candle, the staging table, or another
   * source such as a validated CSV file), keeps the hourly roll-ups they touch in step, updates the
   * in-memory ranges and tells the write listeners. Every writer ends here.
   */
  private async commit (spans: readonly SeriesSpan[], rows: number, started: number, source: WriteSource): Promise<UpsertResult> {
    const replace = source.kind === 'sql' && source.replace
    // Rows that cannot collide with stored ones skip the conflict handling of INSERT OR REPLACE,
    // and minutes newer than everything stored extend their hours instead of recomputing them.
    const stored = spans.map((s) => this.index.get(s.symbol)?.get(s.interval))
    const appends = spans.map((s, i) => !replace && (stored[i] === undefined || s.first > stored[i]!.last))
    const verb = replace || spans.some((s, i) => !appends[i] && s.last >= stored[i]!.first) ? 'INSERT OR REPLACE' : 'INSERT'
    try {
      await this.writer.run('BEGIN TRANSACTION')
      if (source.kind === 'row') await this.write(`${verb} INTO candles VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, candleParams(source.candle))
      else if (source.kind === 'stage') await this.write(`${verb} INTO candles SELECT * FROM candles_stage`)
      // A CSV load's SQL names its own temporary table: not worth keeping prepared.
      else await this.writer.run(`${verb} INTO candles ${source.sql}`)
      for (const [i, r] of spans.entries()) {
        if (r.interval !== BASE_INTERVAL) {
          await this.write(EXTEND_SERIES_SQL, [r.symbol, r.interval, r.first, r.last])
          continue
        }
        if (!appends[i] || source.kind === 'sql') await this.write(REFRESH_HOURS_SQL, [r.symbol, hourOf(r.first), hourOf(r.last) + HOUR_MS - 1])
        else if (source.kind === 'row') await this.extendHourByMinute(source.candle, stored[i])
        else await this.extendHours(r, stored[i])
      }
      await this.writer.run('COMMIT')
    } catch (err) {
      await this.writer.run('ROLLBACK').catch(() => {})
      throw err
    }
    const symbols = new Set<string>()
    for (const r of spans) {
      this.noteRange(r.symbol, r.interval, r.first, r.last)
      symbols.add(r.symbol)
    }
    const info = { rows, durationMs: performance.now() - started }
    for (const l of this.listeners) l(symbols, info)
    // The rows are committed either way; a failed checkpoint is retried after the next write.
    if (this.checkpointBudget.committed(rows)) await this.checkpointNow()
    return { rows, symbols: [...symbols] }
  }

  async loadKlineCsv (files: readonly KlineCsvFile[]): Promise<CsvLoadResult[]> {
    if (this.closed) throw new Error('candle store is closed')
    if (files.length === 0) return []
    return await this.writeJob(async () => {
      const started = performance.now()
      // Files sharing an interval and a header count are read by one (parallel) scan.
      const groups = new Map<string, KlineCsvFile[]>()
      for (const f of files) {
        const key = `${f.interval}|${f.skipLines ?? 0}`
        groups.set(key, [...(groups.get(key) ?? []), f])
      }
      const symbols = [...files].map((f) => `(${sqlString(f.path)}, ${sqlString(f.symbol)}, ${sqlString(f.interval)})`).join(', ')
      const relations = [...groups.values()].map((g) => `SELECT * FROM ${klineCsvRelation(g.map((f) => f.path), g[0]!.interval, g[0]!.skipLines ?? 0)}`)
      try {
        await this.writer.run(`
          CREATE OR REPLACE TEMP TABLE csv_lines AS
          SELECT m.symbol, m.interval, r.* FROM (${relations.join(' UNION ALL ')}) r
          JOIN (VALUES ${symbols}) m(filename, symbol, interval) USING (filename)`)
        const results = new Map(files.map((f) => [f.path, { rows: 0, stored: 0, rejected: new Map<string, number>() } satisfies CsvLoadResult]))
        for (const [filename, reason, n] of (await this.writer.runAndReadAll(
          'SELECT filename, reason, count(*)::INTEGER FROM csv_lines GROUP BY filename, reason')).getRows() as Array<[string, string | null, number]>) {
          const r = results.get(filename)!
          r.rows += n
          if (reason !== null) r.rejected.set(reason, n)
        }
        for (const r of results.values()) r.stored = r.rows - [...r.rejected.values()].reduce((a, b) => a + b, 0)
        const [[lastRow]] = (await this.writer.runAndReadAll('SELECT coalesce(max(rowid), -1)::DOUBLE FROM csv_lines')).getRows() as [[number]]
        let duplicates = false
        // One transaction per MAX_TRANSACTION_ROWS lines, however large the files (see bulk-writes.ts).
        for (let lo = 0; lo <= lastRow; lo += MAX_TRANSACTION_ROWS) {
          const part = `valid AND rowid BETWEEN ${lo} AND ${lo + MAX_TRANSACTION_ROWS - 1}`
          const spans = (await this.writer.runAndReadAll(`
            SELECT symbol, interval, min(ts)::DOUBLE, max(ts)::DOUBLE FROM csv_lines WHERE ${part} GROUP BY symbol, interval`))
            .getRows().map(([symbol, interval, first, last]) => ({ symbol, interval, first, last }) as SeriesSpan)
          if (spans.length === 0) continue
          const valid = `SELECT symbol, interval, ts, open, high, low, close, volume FROM csv_lines WHERE ${part}`
          const [[lines]] = (await this.writer.runAndReadAll(`SELECT count(*)::INTEGER FROM (${valid})`)).getRows() as [[number]]
          try {
            await this.commit(spans, lines, started, { kind: 'sql', sql: valid, replace: false })
          } catch (err) {
            if (!/duplicate key|same row twice/i.test((err as Error).message)) throw err
            // A key repeated within or across the files: keep one row of each (the last part's wins).
            duplicates = true
            const unique = `SELECT DISTINCT ON (symbol, interval, ts) symbol, interval, ts, open, high, low, close, volume
                            FROM csv_lines WHERE ${part} ORDER BY symbol, interval, ts`
            const [[keys]] = (await this.writer.runAndReadAll(`SELECT count(*)::INTEGER FROM (${unique})`)).getRows()
            await this.commit(spans, keys as number, started, { kind: 'sql', sql: unique, replace: true })
          }
        }
        if (duplicates) {
          // Count keys, not lines.
          for (const [filename, distinct] of (await this.writer.runAndReadAll(
            'SELECT filename, count(DISTINCT ts)::INTEGER FROM csv_lines WHERE valid GROUP BY filename')).getRows() as Array<[string, number]>) {
            results.get(filename)!.stored = distinct
          }
        }
        return files.map((f) => results.get(f.path)!)
      } finally {
        await this.writer.run('DROP TABLE IF EXISTS csv_lines')
      }
    })
  }

  /** Where the bars of a series are read from: stored natively, or rolled up from 1m (or its hours). */
  private readSource (symbol: string, interval: Interval): ReadSource | undefined {
    const native = this.storedRange(symbol, interval)
    if (native !== undefined) {
      return { range: native, sql: NATIVE_SQL, params: (lo, hi, limit) => [symbol, interval, lo, hi, limit] }
    }
    const base = interval === BASE_INTERVAL ? undefined : this.storedRange(symbol, BASE_INTERVAL)
    const range = base === undefined ? undefined : servableRange(interval, base)
    if (range === undefined) return undefined
    const width = fixedIntervalMs(interval)
    const origin = interval === '1w' ? WEEK_ORIGIN_MS : 0
    const source = rollupSource(interval)
    return {
      range,
      sql: { asc: ROLLUP_SQL(interval, source, 'asc'), desc: ROLLUP_SQL(interval, source, 'desc') },
      params: (lo, hi, limit) => {
        // hi is the open of the last bar wanted: read every source bar up to that bar's close.
        const hiSource = addBuckets(interval, hi, 1) - 1
        return width === undefined
          ? [symbol, source.base, lo, hiSource, limit]
          : [symbol, source.base, lo, hiSource, limit, origin, width]
      }
    }
  }

  async getCandles (q: CandleQuery, signal?: AbortSignal): Promise<CandleTuple[]> {
    const source = this.readSource(q.symbol, q.interval)
    if (source === undefined) return []
    const plan = planRead(q.interval, source.range, q.from, q.to)
    if (plan === undefined) return []
    return await readWindowed(q.interval, plan, q.limit, (lo, hi, dir, limit) =>
      this.readRows(source.sql[dir], source.params(lo, hi, limit), signal) as Promise<CandleTuple[]>)
  }

  servedSpan (r: CandleRange): TimeRange | undefined {
    const source = this.readSource(r.symbol, r.interval)
    const plan = source === undefined ? undefined : planRead(r.interval, source.range, r.from, r.to)
    return plan === undefined ? undefined : { first: plan.lo, last: plan.hi }
  }

  async * streamCandles (r: CandleRange, pageRows = STREAM_PAGE_ROWS): AsyncGenerator<CandleTuple[], void, undefined> {
    const span = this.servedSpan(r)
    if (span === undefined) return
    // Keyset paging by open time through the read path of getCandles: each page is a short
    // windowed read on the reader pool, never a result held open on a connection for as long as
    // a slow client takes to download.
    let cursor = span.first
    while (cursor <= span.last) {
      const page = await this.getCandles({ symbol: r.symbol, interval: r.interval, from: cursor, to: span.last, limit: pageRows })
      if (page.length === 0) return
      yield page
      cursor = addBuckets(r.interval, page[page.length - 1]![0], 1)
    }
  }

  async writeParquet (r: CandleRange, path: string, signal?: AbortSignal): Promise<number> {
    if (this.closed) throw new Error('candle store is closed')
    const source = this.readSource(r.symbol, r.interval)
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
    const con = await this.db.connect()
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

  async barSoFar (symbol: string, interval: Interval, start: number): Promise<{ bar: CandleTuple, lastMinute: number } | undefined> {
    const end = addBuckets(interval, start, 1)
    const source = rollupSource(interval)
    const newest = source === HOURS ? 'max(last_minute)::DOUBLE' : 'max(ts)::DOUBLE'
    const [row] = (await this.read((con) => con.runAndReadAll(`
      SELECT arg_min(open, ts), max(high), min(low), arg_max(close, ts), sum(volume::DECIMAL(38, 8))::DOUBLE, ${newest}
      FROM ${source.table} WHERE symbol = $1 AND interval = $2 AND ts >= $3 AND ts < $4`, [symbol, source.base, start, end]))).getRows()
    if (row === undefined || row[5] === null) return undefined
    const [open, high, low, close, volume, lastMinute] = row as number[]
    return { bar: [start, open!, high!, low!, close!, volume!], lastMinute: lastMinute! }
  }

  symbolParts (symbol: string): SymbolParts | undefined {
    return this.catalog.get(symbol)
  }

  listSymbols (): string[] {
    return [...this.index.keys()].sort()
  }

  hasSymbol (symbol: string): boolean {
    return this.index.has(symbol)
  }

  storedRange (symbol: string, interval: Interval): TimeRange | undefined {
    const r = this.index.get(symbol)?.get(interval)
    return r === undefined ? undefined : { first: r.first, last: r.last }
  }

  async intervalRanges (symbol: string): Promise<IntervalRange[]> {
    const stored = this.index.get(symbol)
    if (stored === undefined) return []
    const counts = new Map<string, number>()
    const rows = (await this.read((con) => con.runAndReadAll(
      'SELECT interval, count(*)::INTEGER FROM candles WHERE symbol = $1 GROUP BY interval', [symbol]))).getRows()
    for (const [interval, n] of rows) counts.set(interval as string, n as number)
    const base = stored.get(BASE_INTERVAL)
    const out: IntervalRange[] = []
    for (const interval of INTERVALS) {
      const native = stored.get(interval)
      if (native !== undefined) {
        out.push({ interval, first: native.first, last: native.last, native: true, count: counts.get(interval) ?? 0 })
      } else {
        const rolled = base === undefined ? undefined : servableRange(interval, base)
        if (rolled !== undefined) out.push({ interval, ...rolled, native: false })
      }
    }
    return out
  }

  async deleteRange (symbol: string, interval: Interval, from: number, to: number): Promise<number> {
    if (this.closed) throw new Error('candle store is closed')
    return await this.writeJob(async () => {
      const r = await this.writer.runAndReadAll(
        'DELETE FROM candles WHERE symbol = $1 AND interval = $2 AND ts BETWEEN $3 AND $4 RETURNING 1', [symbol, interval, from, to])
      const deleted = r.currentRowCount
      if (deleted > 0) {
        if (interval === BASE_INTERVAL) await this.rebuildHours(symbol, hourOf(from), hourOf(to))
        await this.refreshRange(symbol, interval)
        for (const l of this.listeners) l(new Set([symbol]), { rows: 0, durationMs: 0 })
      }
      return deleted
    })
  }

  async deleteOlderThan (interval: Interval | undefined, cutoff: number): Promise<number> {
    if (this.closed) throw new Error('candle store is closed')
    return await this.writeJob(async () => {
      const r = interval === undefined
        ? await this.writer.runAndReadAll('DELETE FROM candles WHERE ts < $1 RETURNING symbol, interval', [cutoff])
        : await this.writer.runAndReadAll('DELETE FROM candles WHERE interval = $1 AND ts < $2 RETURNING symbol, interval', [interval, cutoff])
      const touched = new Map<string, [string, Interval]>()
      for (const [symbol, iv] of r.getRows()) touched.set(`${symbol}|${iv}`, [symbol as string, iv as Interval])
      if (interval === undefined || interval === BASE_INTERVAL) {
        // Whole hours before the cutoff go; the hour the cutoff falls in is recomputed.
        await this.writer.run("DELETE FROM candle_rollups WHERE interval = '1h' AND ts < $1", [hourOf(cutoff)])
        for (const symbol of new Set([...touched.values()].filter(([, iv]) => iv === BASE_INTERVAL).map(([sym]) => sym))) {
          await this.rebuildHours(symbol, hourOf(cutoff), hourOf(cutoff))
        }
      }
      for (const [symbol, iv] of touched.values()) await this.refreshRange(symbol, iv)
      if (touched.size > 0) {
        const symbols = new Set([...touched.values()].map(([symbol]) => symbol))
        for (const l of this.listeners) l(symbols, { rows: 0, durationMs: 0 })
      }
      return r.currentRowCount
    })
  }

  /** Writes the WAL into the database file; DuckDB also reclaims deleted row groups here. */
  async checkpoint (): Promise<void> {
    if (this.closed) return
    await this.writeQueue.run(() => this.checkpointNow())
  }

  /** Checkpoints from inside the write queue (an in-memory store has no file to checkpoint into). */
  private async checkpointNow (): Promise<void> {
    if (this.path !== MEMORY_PATH) await this.writer.run(`CHECKPOINT ${DATABASE_ALIAS}`)
    this.checkpointBudget.checkpointed()
  }

  /**
   * A consistent copy of the whole database as Parquet files plus schema, for `restoreDatabase`.
   * It runs on a reader: one statement sees one snapshot, and the writer's TEMP staging table
   * must not end up in the copy.
   */
  async backup (dir: string): Promise<void> {
    await this.read((con) => con.run(`EXPORT DATABASE ${sqlString(dir)} (FORMAT parquet)`))
  }

  /** Adds one minute newer than everything stored (`stored`: the series' range before it) to its hour. */
  private async extendHourByMinute (c: Candle, stored: TimeRange | undefined): Promise<void> {
    const hour = hourOf(c.ts)
    if (stored === undefined || hourOf(stored.last) !== hour) {
      await this.write(INSERT_HOUR_SQL, [c.symbol, hour, c.open, c.high, c.low, c.close, c.volume, c.ts])
      return
    }
    const { rowsChanged } = await this.write(EXTEND_HOUR_BY_MINUTE_SQL, [c.symbol, hour, c.high, c.low, c.close, c.volume, c.ts])
    if (rowsChanged !== 1) await this.write(REFRESH_HOURS_SQL, [c.symbol, hour, hour + HOUR_MS - 1])
  }

  /** Adds staged minutes newer than everything stored (`stored`: the series' range before them) to the hourly roll-ups. */
  private async extendHours (span: SeriesSpan, stored: TimeRange | undefined): Promise<void> {
    let firstNewHour = hourOf(span.first)
    if (stored !== undefined && hourOf(stored.last) === firstNewHour) {
      const { rowsChanged } = await this.write(EXTEND_HOUR_SQL, [span.symbol, firstNewHour])
      // The roll-ups always hold the hour of the newest minute; should they not, recompute it.
      if (rowsChanged !== 1) await this.write(REFRESH_HOURS_SQL, [span.symbol, firstNewHour, firstNewHour + HOUR_MS - 1])
      firstNewHour += HOUR_MS
    }
    if (hourOf(span.last) >= firstNewHour) await this.write(INSERT_HOURS_SQL, [span.symbol, firstNewHour])
  }

  /** Recomputes one symbol's hourly roll-ups for hours [fromHour, toHour] after 1m rows went away. */
  private async rebuildHours (symbol: string, fromHour: number, toHour: number): Promise<void> {
    await this.writer.run("DELETE FROM candle_rollups WHERE symbol = $1 AND interval = '1h' AND ts BETWEEN $2 AND $3", [symbol, fromHour, toHour])
    await this.writer.run(REFRESH_HOURS_SQL, [symbol, fromHour, toHour + HOUR_MS - 1])
  }

  /** Re-reads first/last of one series after rows were removed. */
  private async refreshRange (symbol: string, interval: Interval): Promise<void> {
    const [row] = (await this.writer.runAndReadAll(
      'SELECT min(ts)::DOUBLE, max(ts)::DOUBLE FROM candles WHERE symbol = $1 AND interval = $2', [symbol, interval])).getRows()
    const bySymbol = this.index.get(symbol)
    const gone = row === undefined || row[0] === null
    if (gone) {
      bySymbol?.delete(interval)
      if (bySymbol?.size === 0) this.index.delete(symbol)
    } else {
      bySymbol?.set(interval, { first: row[0] as number, last: row[1] as number })
    }
    if (interval === BASE_INTERVAL) return
    await this.writer.run('DELETE FROM candle_series WHERE symbol = $1 AND interval = $2', [symbol, interval])
    if (!gone) await this.writer.run('INSERT INTO candle_series VALUES ($1, $2, $3, $4)', [symbol, interval, row[0], row[1]])
  }

  async findGaps (symbol: string, interval: Interval, from: number, to: number): Promise<TimeRange[]> {
    const step = fixedIntervalMs(interval)
    if (step === undefined) throw new Error('findGaps needs a fixed-width interval')
    const lo = bucketStartAtOrAfter(interval, from)
    const hi = bucketStart(interval, to)
    if (lo > hi) return []
    // Each stored bar followed by a bar more than one step later marks a hole; the bounds are
    // handled by bracketing the range with virtual bars one step outside it.
    const rows = (await this.read((con) => con.runAndReadAll(`
      SELECT ts::DOUBLE, next::DOUBLE FROM (
        SELECT ts, lead(ts) OVER (ORDER BY ts) AS next FROM (
          SELECT ts FROM candles WHERE symbol = $1 AND interval = $2 AND ts BETWEEN $3 AND $4
          UNION ALL SELECT $3 - $5 UNION ALL SELECT $4 + $5
        )
      ) WHERE next - ts > $5 ORDER BY ts`, [symbol, interval, lo, hi, step]))).getRows()
    return rows.map(([ts, next]) => ({ first: (ts as number) + step, last: (next as number) - step }))
  }

  onWrite (listener: WriteListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async ping (): Promise<void> {
    await this.read((con) => con.run('SELECT 1'))
  }

  async close (): Promise<void> {
    if (this.closed) return
    // Let queued writes land before the connections go away.
    await this.writeQueue.run(async () => {
      this.closed = true
      if (!this.path.startsWith(MEMORY_PATH)) {
        await this.writer.run(`CHECKPOINT ${DATABASE_ALIAS}`).catch((err: unknown) => {
          this.log.warn({ path: this.path, err }, 'the final checkpoint failed; the next start replays the write-ahead log, so nothing committed is lost')
        })
      }
    })
    await Promise.all(this.readers.map((r) => r.queue.run(async () => {
      r.statements.destroy()
      r.con.closeSync()
    })))
    this.writerStatements.destroy()
    this.writer.closeSync()
    this.listeners.clear()
    this.db.release()
  }
}
