// One DuckDBInstance per file per process. DuckDB does not guard two instances on one file inside a
// process (they silently diverge), so every open goes through this registry and shares the instance.
//
// The file is ATTACHed (rather than opened as the instance's main database) so its row groups can
// be smaller than DuckDB's default of 122,880 rows: reads are ts windows that min/max pruning
// narrows to whole row groups, and a 600-candle window then scans 16k rows instead of 120k.
import { resolve } from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { StorageError, prepareDatabasePath } from './database-folder.js'
import { sqlString } from './sql.js'

export const MEMORY_PATH = ':memory:'
/** The catalog name every connection uses for the candle database. */
export const DATABASE_ALIAS = 'market'
const ROW_GROUP_SIZE = 16_384

interface Entry {
  instance: DuckDBInstance
  refs: number
}

const open = new Map<string, Promise<Entry>>()

export interface DatabaseHandle {
  readonly path: string
  readonly instance: DuckDBInstance
  /** A connection whose default catalog is the candle database. */
  connect (): Promise<DuckDBConnection>
  /** Drops this handle; the instance closes when its last handle is released. */
  release (): void
}

export interface DatabaseOptions {
  threads?: number
  /** DuckDB's memory_limit, e.g. '192MB'; beyond it DuckDB evicts its cache and spills. */
  memoryLimit?: string
}

export async function openDatabase (path: string, opts: DatabaseOptions = {}): Promise<DatabaseHandle> {
  const key = path === MEMORY_PATH ? `${MEMORY_PATH}#${Math.random()}` : resolve(path)
  let pending = open.get(key)
  if (pending === undefined) {
    pending = (async () => {
      if (path !== MEMORY_PATH) prepareDatabasePath(key)
      const config: Record<string, string> = { threads: String(opts.threads ?? 1) }
      if (opts.memoryLimit !== undefined) config.memory_limit = opts.memoryLimit
      // Returns freed memory to the OS in the background instead of keeping it for reuse: RSS
      // after a burst of large reads settles ~15 MB lower.
      config.allocator_background_threads = 'true'
      // The main database is in memory, so spills need an explicit place: beside the file.
      if (path !== MEMORY_PATH) config.temp_directory = `${key}.tmp`
      const instance = await DuckDBInstance.create(MEMORY_PATH, config)
      const con = await instance.connect()
      try {
        await con.run(`ATTACH ${sqlString(path === MEMORY_PATH ? MEMORY_PATH : key)} AS ${DATABASE_ALIAS} (ROW_GROUP_SIZE ${ROW_GROUP_SIZE})`)
      } catch (err) {
        con.closeSync()
        instance.closeSync()
        // Locked by another process, not a DuckDB file, a newer storage version...: DuckDB's
        // first line says which.
        const reason = (err as Error).message.split('\n')[0]!
        const locked = /could not set lock/i.test(reason)
        throw new StorageError(`cannot open the database ${key}: ${reason}`, key,
          locked ? 'DuckDB allows one process per file: stop the one holding it (a running service, a backup), or choose another file with --duckdb or DUCKDB' : undefined)
      }
      con.closeSync()
      return { instance, refs: 0 }
    })()
    open.set(key, pending)
    pending.catch(() => open.delete(key))
  }
  const entry = await pending
  entry.refs++
  let released = false
  return {
    path: key,
    instance: entry.instance,
    async connect () {
      const con = await entry.instance.connect()
      await con.run(`USE ${DATABASE_ALIAS}`)
      return con
    },
    release () {
      if (released) return
      released = true
      if (--entry.refs === 0) {
        open.delete(key)
        entry.instance.closeSync()
      }
    }
  }
}
