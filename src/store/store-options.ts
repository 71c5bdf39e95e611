import type { Config } from '../config.js'
import type { DuckDbStoreOptions } from './duckdb-candle-store.js'
import { MEMORY_PATH } from './duckdb-database.js'

/** How the service and every command open the candle store, from the settings. */
export function storeOptions (config: Pick<Config, 'STORAGE' | 'DUCKDB' | 'THREADS' | 'DUCKDB_MEMORY_LIMIT'>): DuckDbStoreOptions {
  return {
    path: config.STORAGE === 'memory' ? MEMORY_PATH : config.DUCKDB,
    threads: config.THREADS,
    memoryLimit: config.DUCKDB_MEMORY_LIMIT
  }
}
