// The storage settings as the options of the candle store: the service (plugins/store.ts) and
// every command open the store through this one mapping, so the store itself knows no settings.
import type { Config } from './config.js'
import { MEMORY_PATH } from './store/duckdb/database.js'
import type { DuckDbStoreOptions } from './store/duckdb/duckdb-candle-store.js'

export function storeOptions (config: Pick<Config, 'STORAGE' | 'DUCKDB' | 'THREADS' | 'DUCKDB_MEMORY_LIMIT'>): DuckDbStoreOptions {
  return {
    path: config.STORAGE === 'memory' ? MEMORY_PATH : config.DUCKDB,
    threads: config.THREADS,
    memoryLimit: config.DUCKDB_MEMORY_LIMIT
  }
}
