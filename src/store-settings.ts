// The storage settings as the options of the candle store: the service (plugins/app/store.ts) and
// every command open the store through this one mapping, so the store itself knows no settings.
import type { Config } from './config.js'
import type { Log } from './log.js'
import { ConfigError, maskPassword } from './settings/parse-setting.js'
import type { CandleStore } from './store/candle-store.js'
import { MEMORY_PATH } from './store/duckdb/database.js'
import { StorageError } from './store/duckdb/database-folder.js'
import { DuckDbCandleStore, type DuckDbStoreOptions } from './store/duckdb/duckdb-candle-store.js'
import type { PostgresStoreOptions } from './store/postgres/connection.js'
import { POSTGRES_BACKUP_NOTICE, openPostgresStore } from './store/postgres/postgres-candle-store.js'

type StoreSettings = Pick<Config, 'STORAGE' | 'DUCKDB' | 'THREADS' | 'DUCKDB_MEMORY_LIMIT' | 'DATABASE_URL'>

/** A store opened from the settings, with where it is (a file, or the URL without its password). */
export type OpenedStore = CandleStore & { readonly path: string }

/**
 * The DuckDB store's options, for what only DuckDB does (backup and restore of its file). With
 * STORAGE=postgres that is refused rather than quietly using the DuckDB file at DUCKDB.
 */
export function storeOptions (config: Pick<Config, 'STORAGE' | 'DUCKDB' | 'THREADS' | 'DUCKDB_MEMORY_LIMIT'>): DuckDbStoreOptions {
  if (config.STORAGE === 'postgres') throw new ConfigError(`invalid value "postgres" for STORAGE: this command works on a DuckDB file only; ${POSTGRES_BACKUP_NOTICE}`)
  return {
    path: config.STORAGE === 'memory' ? MEMORY_PATH : config.DUCKDB,
    threads: config.THREADS,
    memoryLimit: config.DUCKDB_MEMORY_LIMIT
  }
}

const POSTGRES_ADVICE = 'check that PostgreSQL runs, is reachable from here and accepts this user and database, or fix --database-url or DATABASE_URL'

/**
 * Opens (and migrates) the PostgreSQL store at `options.url`. One that cannot be opened (a server
 * that is down, a wrong password or database name) is a StorageError, told in one line with exit
 * code 4 like a DuckDB file that cannot be opened, the password masked.
 */
export async function openPostgres (options: PostgresStoreOptions, advice = POSTGRES_ADVICE): Promise<OpenedStore> {
  try {
    return await openPostgresStore(options)
  } catch (err) {
    const url = maskPassword(options.url)
    throw new StorageError(`cannot open the PostgreSQL store at ${url}: ${firstLine(err)}`, url, advice)
  }
}

/** Opens the store STORAGE names: the DuckDB file (or an in-memory DuckDB), or PostgreSQL at DATABASE_URL. */
export async function openConfiguredStore (config: StoreSettings, opts: { log?: Log, applicationName?: string } = {}): Promise<OpenedStore> {
  if (config.STORAGE === 'postgres') return await openPostgres({ url: config.DATABASE_URL, applicationName: opts.applicationName })
  return await DuckDbCandleStore.open({ ...storeOptions(config), log: opts.log })
}

/** The first line of an error's message, for a one-line report. */
export function firstLine (err: unknown): string {
  const e = err as Error & { code?: string }
  const text = (e.message ?? '').split('\n')[0] ?? ''
  // pg reports a refused connection of a multi-address host as an AggregateError with no message.
  return text !== '' ? text : e.code ?? String(err)
}
