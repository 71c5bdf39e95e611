// The PostgreSQL candle repository: the whole CandleStore contract over a shared database, with
// the answers of the DuckDB store (the same roll-up rules, windows, gap and range semantics, and
// the same doubles). Many processes may read it; one writes (the ingest leader).
import type pg from 'pg'
import type { Candle, CandleTuple } from '../../domain/candle.js'
import { INTERVALS, addBuckets, type Interval } from '../../domain/intervals.js'
import { SerialQueue } from '../../async/serial-queue.js'
import {
  storeClosedError, type CandleQuery, type CandleRange, type CandleStore, type CsvLoadResult, type IntervalRange,
  type SeriesRange, type TimeRange, type UpsertResult, type WriteListener
} from '../candle-store.js'
import { streamCandles } from '../candle-stream.js'
import { planRead, readWindowed } from '../candle-windows.js'
import { gapWindow, missingRanges } from '../gaps.js'
import { rollupBase, servingSource } from '../rollup-plan.js'
import { SeriesIndex } from '../series-index.js'
import { planWrite, seriesSpans, slices, uniqueCandles, type SeriesSpan } from '../write-batch.js'
import { WriteListeners } from '../write-listeners.js'
import { connectClient, createPool, queryRows, statementName, type PostgresStoreOptions } from './connection.js'
import { copyCandles } from './copy-rows.js'
import { loadKlineCsvFiles, type KlineCsvFile } from './csv-load.js'
import { migratePostgres } from './migrations.js'
import { cancellable } from './query-cancel.js'
import { COUNTS_SQL, RUNS_SQL, barSoFarSql } from './read-sql.js'
import { readSeriesIndex, seriesRead, type SeriesRead } from './series-reads.js'
import { Writer, commitStaged } from './staged-write.js'
import { volumeDouble } from './volume-double.js'
import { INSERT_ROW_SQL, STAGE_TABLE } from './write-sql.js'
import { deleteSeriesBefore, deleteSeriesRange } from './deletes.js'
import { PostgresLeaderLock, type LeaderLockOptions } from './leader-lock.js'
import { WriteFence } from './write-fence.js'

export type { PostgresStoreOptions } from './connection.js'

/** What `backup` says for this store: PostgreSQL's own tool does it better than a copy of ours. */
export const POSTGRES_BACKUP_NOTICE = 'a PostgreSQL store is backed up with pg_dump, not tv-api backup: ' +
  'pg_dump --format=custom --file=candles.dump "$DATABASE_URL" (restore with pg_restore --clean --dbname="$DATABASE_URL" candles.dump)'

/** Rows committed per transaction at most; a larger write commits in parts of this size. */
const MAX_TRANSACTION_ROWS = 100_000

type Row = unknown[]

/** The URL without its password, for logs and /stats. */
function displayUrl (url: string): string {
  try {
    const u = new URL(url)
    u.password = ''
    return u.toString()
  } catch {
    return 'postgres'
  }
}

export class PostgresCandleStore implements CandleStore {
  private index = new SeriesIndex()
  private readonly listeners = new WriteListeners()
  private readonly writeQueue = new SerialQueue()
  private closed = false
  /** e.g. "PostgreSQL 15.14". */
  engineVersion = 'PostgreSQL'
  readonly path: string

  private constructor (private readonly pool: pg.Pool, private readonly writer: Writer, private readonly opts: PostgresStoreOptions) {
    this.path = displayUrl(opts.url)
  }

  static async open (opts: PostgresStoreOptions): Promise<PostgresCandleStore> {
    const pool = createPool(opts)
    pool.on('error', () => {}) // an idle client the server dropped; the pool replaces it
    let writer: Writer | undefined
    try {
      const migrator = await connectClient(opts)
      try {
        await migratePostgres(migrator)
      } finally {
        await migrator.end()
      }
      // After migrating: the writer's staging table is made LIKE candles.
      writer = await Writer.connect(opts)
      const store = new PostgresCandleStore(pool, writer, opts)
      const [[version]] = await queryRows<[string]>(pool, 'SHOW server_version')
      store.engineVersion = `PostgreSQL ${version!.split(' ')[0]}`
      await store.loadIndex()
      return store
    } catch (err) {
      await writer?.close()
      await pool.end().catch(() => {})
      throw err
    }
  }

  private async loadIndex (): Promise<void> {
    this.index = await readSeriesIndex(this.pool)
  }

  /** Rows of a read on the pool, through a prepared statement; an aborted read is cancelled on the server. */
  private async read (text: string, values: unknown[], signal?: AbortSignal): Promise<Row[]> {
    if (this.closed) throw storeClosedError()
    const name = statementName(text)
    if (signal === undefined) return await queryRows(this.pool, text, values, name)
    signal.throwIfAborted()
    const client = await this.pool.connect()
    try {
      return await cancellable(this.pool, client, signal, () => queryRows(client, text, values, name))
    } finally {
      client.release()
    }
  }

  /** Runs a write in the write queue, after the store was checked open. */
  private async writeJob<T> (job: () => Promise<T>): Promise<T> {
    if (this.closed) throw storeClosedError()
    return await this.writeQueue.run(async () => {
      if (this.closed) throw storeClosedError()
      return await job()
    })
  }

  /** Takes committed spans into the index and tells the write listeners. */
  private committed (spans: readonly SeriesSpan[], rows: number, started: number): Set<string> {
    const symbols = new Set<string>()
    for (const s of spans) {
      this.index.note(s.symbol, s.interval, s.first, s.last)
      symbols.add(s.symbol)
    }
    this.listeners.emit(symbols, { rows, durationMs: performance.now() - started })
    return symbols
  }

  async upsertBatch (candles: readonly Candle[]): Promise<UpsertResult> {
    const rows = uniqueCandles(candles)
    if (rows.length === 0) return { rows: 0, symbols: [] }
    if (rows.length > MAX_TRANSACTION_ROWS) {
      const symbols = new Set<string>()
      for (const part of slices(rows, MAX_TRANSACTION_ROWS)) for (const s of (await this.upsertBatch(part)).symbols) symbols.add(s)
      return { rows: rows.length, symbols: [...symbols] }
    }
    return await this.writeJob(async () => {
      const started = performance.now()
      const spans = seriesSpans(rows)
      const stored = spans.map((s) => this.index.range(s.symbol, s.interval))
      await this.writer.transaction(async (client) => {
        // A live close is one candle: bound into one statement, it skips the COPY round trips.
        if (rows.length === 1) {
          const c = rows[0]!
          await client.query({ text: INSERT_ROW_SQL, name: statementName(INSERT_ROW_SQL), values: [c.symbol, c.interval, c.ts, c.open, c.high, c.low, c.close, c.volume] })
        } else {
          await copyCandles(client, STAGE_TABLE, rows)
        }
        await commitStaged(client, spans, stored, planWrite(spans, stored))
      })
      return { rows: rows.length, symbols: [...this.committed(spans, rows.length, started)] }
    })
  }

  async loadKlineCsv (files: readonly KlineCsvFile[]): Promise<CsvLoadResult[]> {
    if (files.length === 0) return []
    return await this.writeJob(() => loadKlineCsvFiles(this.writer, files, MAX_TRANSACTION_ROWS, (spans) => spans.map((s) => this.index.range(s.symbol, s.interval)),
      (spans, rows, started) => { this.committed(spans, rows, started) }))
  }

  private readPlan (symbol: string, interval: Interval): SeriesRead | undefined {
    const source = servingSource(this.index, symbol, interval)
    return source === undefined ? undefined : seriesRead(symbol, interval, source)
  }

  async getCandles (q: CandleQuery, signal?: AbortSignal): Promise<CandleTuple[]> {
    if (this.closed) throw storeClosedError()
    const source = this.readPlan(q.symbol, q.interval)
    if (source === undefined) return []
    const plan = planRead(q.interval, source.range, q.from, q.to)
    if (plan === undefined) return []
    return await readWindowed(q.interval, plan, q.limit, async (lo, hi, dir, limit) => {
      const rows = await this.read(source.sql(dir), source.params(lo, hi, limit), signal)
      return source.tuples(rows)
    })
  }

  servedSpan (r: CandleRange): TimeRange | undefined {
    const source = this.readPlan(r.symbol, r.interval)
    const plan = source === undefined ? undefined : planRead(r.interval, source.range, r.from, r.to)
    return plan === undefined ? undefined : { first: plan.lo, last: plan.hi }
  }

  streamCandles (r: CandleRange, pageRows?: number): AsyncGenerator<CandleTuple[], void, undefined> {
    return streamCandles(this, r, pageRows)
  }

  async barSoFar (symbol: string, interval: Interval, start: number): Promise<{ bar: CandleTuple, lastMinute: number } | undefined> {
    const base = rollupBase(interval)
    const [row] = await this.read(barSoFarSql(base), [symbol, base, start, addBuckets(interval, start, 1)])
    if (row === undefined || row[5] === null) return undefined
    const [open, high, low, close] = row as number[]
    return { bar: [start, open!, high!, low!, close!, volumeDouble(row[4] as string)], lastMinute: row[5] as number }
  }

  listSymbols (): string[] {
    return this.index.symbols()
  }

  hasSymbol (symbol: string): boolean {
    return this.index.has(symbol)
  }

  storedRange (symbol: string, interval: Interval): TimeRange | undefined {
    return this.index.range(symbol, interval)
  }

  async intervalRanges (symbol: string): Promise<IntervalRange[]> {
    if (!this.index.has(symbol)) return []
    const counts = new Map((await this.read(COUNTS_SQL, [symbol])) as Array<[string, number]>)
    return this.index.intervalRanges(symbol, counts)
  }

  async findGaps (symbol: string, interval: Interval, from: number, to: number): Promise<TimeRange[]> {
    const window = gapWindow(interval, from, to)
    if (window === undefined) return []
    const runs = (await this.read(RUNS_SQL, [symbol, interval, window.lo, window.hi, window.step])) as Array<[number, number]>
    return missingRanges(window, runs.map(([first, last]) => ({ first, last })))
  }

  async deleteRange (symbol: string, interval: Interval, from: number, to: number): Promise<number> {
    return await this.writeJob(async () => {
      const result = await this.writer.transaction((client) => deleteSeriesRange(client, symbol, interval, from, to))
      if (result.deleted > 0) {
        this.index.replace(symbol, interval, result.range)
        this.listeners.emitDeletion(new Set([symbol]))
      }
      return result.deleted
    })
  }

  async deleteOlderThan (interval: Interval | undefined, cutoff: number): Promise<number> {
    return await this.writeJob(async () => {
      // The series that can hold older rows, from the index: each is one range delete on the key.
      const series = this.index.symbols().flatMap((symbol) => INTERVALS
        .filter((iv) => (interval === undefined || iv === interval) && (this.index.range(symbol, iv)?.first ?? Infinity) < cutoff)
        .map((iv) => ({ symbol, interval: iv })))
      if (series.length === 0) return 0
      const result = await this.writer.transaction((client) => deleteSeriesBefore(client, series, cutoff))
      for (const r of result.ranges) this.index.replace(r.symbol, r.interval, r.range)
      if (result.ranges.length > 0) this.listeners.emitDeletion(new Set(result.ranges.map((r) => r.symbol)))
      return result.deleted
    })
  }

  /** Committed writes are durable in PostgreSQL already; this waits for the queued ones. */
  async checkpoint (): Promise<void> {
    await this.writeQueue.idle()
  }

  /** Refuses, pointing at pg_dump: see POSTGRES_BACKUP_NOTICE. */
  async backup (_dir: string): Promise<void> {
    throw new Error(POSTGRES_BACKUP_NOTICE)
  }

  onWrite (listener: WriteListener): () => void {
    return this.listeners.add(listener)
  }

  applyRemoteWrite (symbols: readonly string[], ranges: readonly SeriesRange[]): void {
    const listed = new Set(symbols)
    for (const symbol of listed) for (const interval of INTERVALS) this.index.replace(symbol, interval, undefined)
    for (const r of ranges) if (listed.has(r.symbol)) this.index.note(r.symbol, r.interval, r.first, r.last)
    this.listeners.emit(listed, { rows: 0, durationMs: 0, remote: true })
  }

  async reloadIndex (): Promise<void> {
    const before = this.index.symbols()
    await this.loadIndex()
    this.listeners.emit(new Set([...before, ...this.index.symbols()]), { rows: 0, durationMs: 0, remote: true })
  }

  /** From now on this store writes only while the returned lock leads, each write fenced by its epoch (else FencedError). */
  async leaderLock (opts: LeaderLockOptions): Promise<PostgresLeaderLock> {
    const fence = new WriteFence()
    await this.writeJob(() => this.writer.useFence(fence))
    return new PostgresLeaderLock(this.opts, fence, opts)
  }

  async ping (): Promise<void> {
    await this.read('SELECT 1', [])
  }

  async close (): Promise<void> {
    if (this.closed) return
    await this.writeQueue.run(async () => { this.closed = true })
    this.listeners.clear()
    await this.writer.close()
    await this.pool.end()
  }
}

/** Opens (and migrates) the PostgreSQL candle store at `options.url`. */
export async function openPostgresStore (options: PostgresStoreOptions): Promise<PostgresCandleStore> {
  return await PostgresCandleStore.open(options)
}
