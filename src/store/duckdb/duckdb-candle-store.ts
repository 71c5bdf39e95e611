// The DuckDB candle store: the CandleStore contract over one embedded DuckDB file (or an in-memory
// database). Every write ends in commit(); the SQL of each concern lives in its own module here,
// and what any engine shares (series index, roll-up rules, write batches, gaps, streaming) in store/.
import type { Candle, CandleTuple } from '../../domain/candle.js'
import { BASE_INTERVAL, addBuckets, type Interval } from '../../domain/intervals.js'
import type { SymbolParts } from '../../domain/symbols.js'
import type { Log } from '../../log.js'
import {
  storeClosedError, type CandleQuery, type CandleRange, type CandleStore, type CsvLoadResult, type IntervalRange,
  type TimeRange, type UpsertResult, type WriteListener
} from '../candle-store.js'
import { streamCandles } from '../candle-stream.js'
import { planRead, readWindowed } from '../candle-windows.js'
import { gapWindow, missingRanges } from '../gaps.js'
import { hourUpkeep, rollupBase } from '../rollup-plan.js'
import { SeriesIndex } from '../series-index.js'
import { planWrite, seriesSpans, slices, uniqueCandles, type SeriesSpan } from '../write-batch.js'
import { WriteListeners } from '../write-listeners.js'
import { backupDatabase } from './backup-restore.js'
import { MAX_TRANSACTION_ROWS } from './bulk-writes.js'
import { loadKlineCsv, type KlineCsvFile } from './csv-load.js'
import { MEMORY_PATH, openDatabase, type DatabaseHandle } from './database.js'
import { deleteOlderThan, deleteRange, type Deletion } from './deletes.js'
import { writeParquet } from './parquet-export.js'
import { NATIVE_SQL, RUNS_SQL, barSoFarSql, readSource, runsParams } from './read-sql.js'
import { ReaderPool } from './reader-pool.js'
import { EXTEND_HOUR_BY_MINUTE_SQL, EXTEND_SERIES_SQL, INSERT_HOUR_SQL, keepHours } from './rollup-sql.js'
import { applyMigrations, loadSymbolCatalog, stderrLog, upgradeLegacyFile } from './schema-setup.js'
import { loadSeriesIndex } from './series-ranges.js'
import { candleParams } from './sql.js'
import { Writer, type WriteSource } from './writer.js'

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

const insertRow = (verb: string) => `${verb} INTO candles VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

export class DuckDbCandleStore implements CandleStore {
  private readonly index = new SeriesIndex()
  private readonly listeners = new WriteListeners()
  private closed = false
  private closing: Promise<void> | undefined
  /** Base and quote assets from catalog_symbols, when the file has one. */
  private catalog = new Map<string, SymbolParts>()
  /** e.g. "DuckDB v1.5.5". */
  engineVersion = 'DuckDB'

  private constructor (
    private readonly db: DatabaseHandle,
    private readonly writer: Writer,
    private readonly readers: ReaderPool,
    private readonly log: Log
  ) {}

  static async open (opts: DuckDbStoreOptions): Promise<DuckDbCandleStore> {
    const log = opts.log ?? stderrLog()
    const dbOptions = { threads: opts.threads, memoryLimit: opts.memoryLimit }
    await upgradeLegacyFile(opts.path, dbOptions, log)
    const db = await openDatabase(opts.path, dbOptions)
    const writerCon = await db.connect().catch((err: unknown) => {
      db.release()
      throw err
    })
    let readers: ReaderPool | undefined
    try {
      await applyMigrations(db, writerCon, log)
      readers = await ReaderPool.open(db, opts.readers ?? 4)
      const store = new DuckDbCandleStore(db, new Writer(db, writerCon), readers, log)
      store.engineVersion = `DuckDB ${String((await writerCon.runAndReadAll('SELECT version()')).getRows()[0]![0])}`
      await loadSeriesIndex(store.writer, store.index)
      store.catalog = await loadSymbolCatalog(writerCon)
      await store.prepareHotStatements()
      return store
    } catch (err) {
      await readers?.close()
      writerCon.closeSync()
      db.release()
      throw err
    }
  }

  /**
   * Prepares the statements of a live close and of a latest-N read up front, so the first of
   * each does not pay for parsing and planning (a few milliseconds) on top of its own work.
   */
  private async prepareHotStatements (): Promise<void> {
    for (const sql of [insertRow('INSERT'), insertRow('INSERT OR REPLACE'), EXTEND_HOUR_BY_MINUTE_SQL, INSERT_HOUR_SQL]) {
      await this.writer.prepare(sql)
    }
    await this.readers.prepare(NATIVE_SQL.desc)
  }

  get path (): string {
    return this.db.path.startsWith(MEMORY_PATH) ? MEMORY_PATH : this.db.path
  }

  async upsertBatch (candles: readonly Candle[]): Promise<UpsertResult> {
    if (this.closed) throw storeClosedError()
    const rows = uniqueCandles(candles)
    if (rows.length === 0) return { rows: 0, symbols: [] }
    if (rows.length > MAX_TRANSACTION_ROWS) {
      // A transaction's new index entries stay in memory until it commits: bound them.
      const symbols = new Set<string>()
      for (const part of slices(rows, MAX_TRANSACTION_ROWS)) for (const s of (await this.upsertBatch(part)).symbols) symbols.add(s)
      return { rows: rows.length, symbols: [...symbols] }
    }
    return await this.writer.job(async () => {
      const started = performance.now()
      const spans = seriesSpans(rows)
      // A live close is one candle: bound straight into the statements, it skips the staging table.
      if (rows.length === 1) return await this.commit(spans, 1, started, { kind: 'row', candle: rows[0]! })
      return await this.writer.withStaged(rows, () => this.commit(spans, rows.length, started, { kind: 'stage' }))
    })
  }

  /**
   * Moves rows into candles in one transaction (one bound candle, the staging table, or another
   * source such as a validated CSV file), keeps the hourly roll-ups they touch in step, updates the
   * series index and tells the write listeners. Every writer ends here.
   */
  private async commit (spans: readonly SeriesSpan[], rows: number, started: number, source: WriteSource): Promise<UpsertResult> {
    const stored = spans.map((s) => this.index.range(s.symbol, s.interval))
    const plan = planWrite(spans, stored, source.kind === 'sql' && source.replace)
    const verb = plan.replace ? 'INSERT OR REPLACE' : 'INSERT'
    const run = this.writer.run
    await this.writer.transaction(async () => {
      if (source.kind === 'row') await run(insertRow(verb), candleParams(source.candle))
      else if (source.kind === 'stage') await run(`${verb} INTO candles SELECT * FROM candles_stage`)
      // A CSV load's SQL names its own temporary table: not worth keeping prepared.
      else await this.writer.exec(`${verb} INTO candles ${source.sql}`)
      for (const [i, span] of spans.entries()) {
        if (span.interval !== BASE_INTERVAL) {
          await run(EXTEND_SERIES_SQL, [span.symbol, span.interval, span.first, span.last])
          continue
        }
        // Rows of a CSV load always recompute their hours: they are read back from a table, not staged.
        const upkeep = hourUpkeep(span, stored[i], plan.appends[i]! && source.kind !== 'sql')
        await keepHours(run, span, upkeep, source.kind === 'row' ? source.candle : undefined)
      }
    })
    const symbols = new Set<string>()
    for (const span of spans) {
      this.index.note(span.symbol, span.interval, span.first, span.last)
      symbols.add(span.symbol)
    }
    this.listeners.emit(symbols, { rows, durationMs: performance.now() - started })
    await this.writer.committed(rows)
    return { rows, symbols: [...symbols] }
  }

  async loadKlineCsv (files: readonly KlineCsvFile[]): Promise<CsvLoadResult[]> {
    if (this.closed) throw storeClosedError()
    if (files.length === 0) return []
    return await this.writer.job(() => loadKlineCsv(this.writer, files, (spans, rows, started, source) => this.commit(spans, rows, started, source)))
  }

  async getCandles (q: CandleQuery, signal?: AbortSignal): Promise<CandleTuple[]> {
    const source = readSource(this.index, q.symbol, q.interval)
    if (source === undefined) return []
    const plan = planRead(q.interval, source.range, q.from, q.to)
    if (plan === undefined) return []
    return await readWindowed(q.interval, plan, q.limit, (lo, hi, dir, limit) =>
      this.readers.rows(source.sql[dir], source.params(lo, hi, limit), signal) as Promise<CandleTuple[]>)
  }

  servedSpan (r: CandleRange): TimeRange | undefined {
    const source = readSource(this.index, r.symbol, r.interval)
    const plan = source === undefined ? undefined : planRead(r.interval, source.range, r.from, r.to)
    return plan === undefined ? undefined : { first: plan.lo, last: plan.hi }
  }

  streamCandles (r: CandleRange, pageRows?: number): AsyncGenerator<CandleTuple[], void, undefined> {
    return streamCandles(this, r, pageRows)
  }

  async writeParquet (r: CandleRange, path: string, signal?: AbortSignal): Promise<number> {
    if (this.closed) throw storeClosedError()
    return await writeParquet(this.db, readSource(this.index, r.symbol, r.interval), r, path, signal)
  }

  async barSoFar (symbol: string, interval: Interval, start: number): Promise<{ bar: CandleTuple, lastMinute: number } | undefined> {
    const base = rollupBase(interval)
    const [row] = await this.readers.run(async (con) =>
      (await con.runAndReadAll(barSoFarSql(base), [symbol, base, start, addBuckets(interval, start, 1)])).getRows())
    if (row === undefined || row[5] === null) return undefined
    const [open, high, low, close, volume, lastMinute] = row as number[]
    return { bar: [start, open!, high!, low!, close!, volume!], lastMinute: lastMinute! }
  }

  symbolParts (symbol: string): SymbolParts | undefined {
    return this.catalog.get(symbol)
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
    const rows = await this.readers.run(async (con) => (await con.runAndReadAll(
      'SELECT interval, count(*)::INTEGER FROM candles WHERE symbol = $1 GROUP BY interval', [symbol])).getRows())
    return this.index.intervalRanges(symbol, new Map(rows as Array<[string, number]>))
  }

  async findGaps (symbol: string, interval: Interval, from: number, to: number): Promise<TimeRange[]> {
    const window = gapWindow(interval, from, to)
    if (window === undefined) return []
    const runs = await this.readers.rows(RUNS_SQL, runsParams(symbol, interval, window))
    return missingRanges(window, runs.map(([first, last]) => ({ first: first as number, last: last as number })))
  }

  async deleteRange (symbol: string, interval: Interval, from: number, to: number): Promise<number> {
    return await this.delete((writer) => deleteRange(writer, this.index, symbol, interval, from, to))
  }

  async deleteOlderThan (interval: Interval | undefined, cutoff: number): Promise<number> {
    return await this.delete((writer) => deleteOlderThan(writer, this.index, interval, cutoff))
  }

  private async delete (job: (writer: Writer) => Promise<Deletion>): Promise<number> {
    if (this.closed) throw storeClosedError()
    return await this.writer.job(async () => {
      const { deleted, symbols } = await job(this.writer)
      if (symbols.size > 0) this.listeners.emitDeletion(symbols)
      return deleted
    })
  }

  /** Writes the WAL into the database file; DuckDB also reclaims deleted row groups here. */
  async checkpoint (): Promise<void> {
    if (this.closed) return
    await this.writer.checkpoint()
  }

  /** A consistent copy of the whole database as Parquet files plus schema, for `restoreDatabase`. */
  async backup (dir: string): Promise<void> {
    await this.readers.run((con) => backupDatabase(con, dir))
  }

  onWrite (listener: WriteListener): () => void {
    return this.listeners.add(listener)
  }

  async ping (): Promise<void> {
    await this.readers.run((con) => con.run('SELECT 1'))
  }

  close (): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown (): Promise<void> {
    // Let queued writes land before the connections go away.
    await this.writer.close(this.log, () => { this.closed = true })
    await this.readers.close()
    this.listeners.clear()
    this.db.release()
  }
}
