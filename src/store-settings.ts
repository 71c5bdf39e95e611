// The storage settings as the options of the candle store: the service (plugins/store.ts) and
// every command open the store through this one mapping, so the store itself knows no settings.
import type { Config } from './config.js'
import { ConfigError } from './settings/parse-setting.js'
import { MEMORY_PATH } from './store/duckdb/database.js'
import type { DuckDbStoreOptions } from './store/duckdb/duckdb-candle-store.js'

/** The DuckDB store's options; the one-shot commands work on DuckDB alone, never on STORAGE=postgres. */
export function storeOptions (config: Pick<Config, 'STORAGE' | 'DUCKDB' | 'THREADS' | 'DUCKDB_MEMORY_LIMIT'>): DuckDbStoreOptions {
  // Without this a command would quietly use the DuckDB file at DUCKDB instead.
  if (config.STORAGE === 'postgres') throw new ConfigError('invalid value "postgres" for STORAGE: this command works on a DuckDB file only; run it with STORAGE=duck and DUCKDB')
  return {
    path: config.STORAGE === 'memory' ? MEMORY_PATH : config.DUCKDB,
    threads: config.THREADS,
    memoryLimit: config.DUCKDB_MEMORY_LIMIT
  }
}
