// The reader connections of the DuckDB store: reads run in parallel across them, each on the
// connection with the shortest queue, one statement at a time per connection.
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api'
import { SerialQueue } from '../../async/serial-queue.js'
import { storeClosedError } from '../candle-store.js'
import type { DatabaseHandle } from './database.js'
import { PreparedStatements } from './prepared-statements.js'
import { interruptible } from './query-interrupt.js'

interface Reader {
  con: DuckDBConnection
  queue: SerialQueue
  statements: PreparedStatements
}

export class ReaderPool {
  private closed = false

  private constructor (private readonly readers: readonly Reader[]) {}

  /** `count` connections (at least one); none is left open when opening one fails. */
  static async open (db: DatabaseHandle, count: number): Promise<ReaderPool> {
    const readers: Reader[] = []
    try {
      for (let i = 0; i < Math.max(1, count); i++) {
        const con = await db.connect()
        readers.push({ con, queue: new SerialQueue(), statements: new PreparedStatements(con) })
      }
    } catch (err) {
      for (const r of readers) r.con.closeSync()
      throw err
    }
    return new ReaderPool(readers)
  }

  /** Runs `job` on the least busy reader, once that reader's earlier jobs are done. */
  run<T> (job: (con: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.onReader((r) => job(r.con))
  }

  /**
   * Rows of a read that runs on every request (a window or roll-up), through the reader's prepared
   * statement; one whose `signal` aborted while it waited for the reader never runs, and one
   * running when it aborts is interrupted.
   */
  rows (sql: string, params: DuckDBValue[], signal?: AbortSignal): Promise<DuckDBValue[][]> {
    return this.onReader((r) => interruptible(r.con, signal, async () => (await (await r.statements.get(sql, params)).runAndReadAll()).getRows()))
  }

  /** Prepares `sql` on every reader, so the first read of it does not pay for planning. */
  async prepare (sql: string): Promise<void> {
    for (const r of this.readers) await r.queue.run(async () => { await r.statements.get(sql) })
  }

  /** Refuses new reads and closes each connection once the reads queued on it are done. */
  async close (): Promise<void> {
    this.closed = true
    await Promise.all(this.readers.map((r) => r.queue.run(async () => {
      r.statements.destroy()
      r.con.closeSync()
    })))
  }

  private onReader<T> (job: (reader: Reader) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(storeClosedError())
    let best = this.readers[0]!
    for (const r of this.readers) if (r.queue.size < best.queue.size) best = r
    return best.queue.run(() => job(best))
  }
}
