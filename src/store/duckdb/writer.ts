// The DuckDB store's one writer connection: its queue (one write at a time, in order), its
// prepared statements, the staging table a batch is appended to, transactions and checkpoints.
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { BIGINT, DOUBLE, DuckDBDataChunk, VARCHAR, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api'
import type { Candle } from '../../domain/candle.js'
import type { Log } from '../../log.js'
import { SerialQueue } from '../../async/serial-queue.js'
import { CheckpointBudget, STAGE_TABLE, dropStage, resetStage } from './bulk-writes.js'
import { DATABASE_ALIAS, MEMORY_PATH, type DatabaseHandle } from './database.js'
import { PreparedStatements } from './prepared-statements.js'

/** Rows per appended chunk (DuckDB's vector size). */
const CHUNK_ROWS = 2048
/** Appending yields to the event loop every this many chunks, so a large batch does not freeze the server. */
const YIELD_EVERY_CHUNKS = 10
const STAGE_TYPES = [VARCHAR, VARCHAR, BIGINT, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE]

/** Where the rows of a write come from. */
export type WriteSource =
  | { kind: 'row', candle: Candle }
  | { kind: 'stage' }
  | { kind: 'sql', sql: string, replace: boolean }

export class Writer {
  private readonly queue = new SerialQueue()
  private readonly checkpointBudget = new CheckpointBudget()
  private statements: PreparedStatements
  private closed = false

  constructor (private readonly db: DatabaseHandle, private con: DuckDBConnection) {
    this.statements = new PreparedStatements(con)
  }

  /** Whether the database lives in memory, with no file to checkpoint into. */
  private get inMemory (): boolean {
    return this.db.path.startsWith(MEMORY_PATH)
  }

  /**
   * Runs a write in the write queue. A write that failed (out of memory, I/O error) can leave
   * the writer connection holding state of its own: rows of a failed append turned up in the
   * next write's staging table and made it fail with duplicate keys. The writer is therefore
   * replaced by a fresh connection after any failure; committed data is in the database, not in
   * the connection, so nothing committed is lost.
   */
  async job<T> (job: () => Promise<T>): Promise<T> {
    return await this.queue.run(async () => {
      try {
        return await job()
      } catch (err) {
        await this.renew()
        throw err
      }
    })
  }

  /** Runs one of the writer's recurring statements through its prepared statement (inside a job). */
  readonly run = async (sql: string, params: DuckDBValue[] = []): Promise<{ rowsChanged: number }> => {
    return await (await this.statements.get(sql, params)).run()
  }

  /** Runs a statement that is not worth keeping prepared (inside a job). */
  async exec (sql: string, params?: DuckDBValue[]): Promise<void> {
    await this.con.run(sql, params)
  }

  /** The rows of a one-off statement (inside a job). */
  async rows (sql: string, params?: DuckDBValue[]): Promise<DuckDBValue[][]> {
    return (await this.con.runAndReadAll(sql, params)).getRows()
  }

  /** Prepares a recurring statement ahead of its first use. */
  async prepare (sql: string): Promise<void> {
    await this.statements.get(sql)
  }

  /** Runs `body` in one transaction, rolled back when it fails (inside a job). */
  async transaction (body: () => Promise<void>): Promise<void> {
    try {
      await this.con.run('BEGIN TRANSACTION')
      await body()
      await this.con.run('COMMIT')
    } catch (err) {
      await this.con.run('ROLLBACK').catch(() => {})
      throw err
    }
  }

  /** Runs `body` with `candles` in a fresh staging table, dropped afterwards (inside a job). */
  async withStaged<T> (candles: readonly Candle[], body: () => Promise<T>): Promise<T> {
    try {
      await resetStage(this.con)
      await this.append(candles)
      return await body()
    } finally {
      await dropStage(this.con)
    }
  }

  /** Notes `rows` committed and checkpoints once enough have been (inside a job). */
  async committed (rows: number): Promise<void> {
    // The rows are committed either way; a failed checkpoint is retried after the next write.
    if (this.checkpointBudget.committed(rows)) await this.checkpointNow()
  }

  /** Writes the WAL into the database file; DuckDB also reclaims deleted row groups here. */
  async checkpoint (): Promise<void> {
    await this.queue.run(() => this.checkpointNow())
  }

  /**
   * Lets queued writes land, checkpoints a file one last time and closes the connection;
   * `drained` is called once the writes queued before have landed.
   */
  async close (log: Log, drained: () => void): Promise<void> {
    await this.queue.run(async () => {
      this.closed = true
      drained()
      if (!this.inMemory) {
        await this.con.run(`CHECKPOINT ${DATABASE_ALIAS}`).catch((err: unknown) => {
          log.warn({ path: this.db.path, err }, 'the final checkpoint failed; the next start replays the write-ahead log, so nothing committed is lost')
        })
      }
    })
    this.statements.destroy()
    this.con.closeSync()
  }

  private async checkpointNow (): Promise<void> {
    if (!this.inMemory) await this.con.run(`CHECKPOINT ${DATABASE_ALIAS}`)
    this.checkpointBudget.checkpointed()
  }

  /** Appends candles to the staging table in column chunks. */
  private async append (candles: readonly Candle[]): Promise<void> {
    const appender = await this.con.createAppender(STAGE_TABLE)
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

  private async renew (): Promise<void> {
    if (this.closed) return
    const fresh = await this.db.connect()
    this.statements.destroy()
    this.con.closeSync()
    this.con = fresh
    this.statements = new PreparedStatements(fresh)
  }
}
