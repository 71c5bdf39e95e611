// `tv-api backup` and `tv-api restore`: a consistent copy of the DuckDB database (schema plus
// Parquet files, via EXPORT DATABASE) and its load into a new database file.
import { existsSync, readdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { storeOptions } from '../store-settings.js'
import { DuckDbCandleStore } from '../store/duckdb/duckdb-candle-store.js'
import { restoreDatabase } from '../store/duckdb/backup-restore.js'
import { STORE_SETTINGS, UsageError, type Command } from './command.js'

export const backupCommand: Command = {
  summary: 'write a consistent copy of the database (schema + Parquet) to a directory',
  usage: 'tv-api backup --out DIR [--duckdb data/market.duckdb]\n\nThe database file is locked while the service runs: stop it first (or run backup where the file is not in use).',
  options: { OUT: { description: 'Directory to create (must not exist or be empty)' } },
  settings: STORE_SETTINGS,
  async run ({ config, options, positionals }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
    const duckdb = storeOptions(config)
    const out = options.get('OUT')
    if (out === undefined || out === '') throw new UsageError('backup needs --out DIR')
    if (existsSync(out) && readdirSync(out).length > 0) throw new UsageError(`--out ${out} is not empty; choose a new directory`)
    if (config.STORAGE === 'memory') throw new UsageError('there is nothing to back up with STORAGE=memory')
    if (!existsSync(config.DUCKDB)) throw new UsageError(`no database at ${config.DUCKDB}`)
    const store = await DuckDbCandleStore.open(duckdb)
    try {
      const started = Date.now()
      await store.backup(resolve(out))
      process.stdout.write(`backup of ${store.path} written to ${resolve(out)} in ${Date.now() - started} ms (restore with: tv-api restore --from ${out} --duckdb NEW_FILE)\n`)
    } finally {
      await store.close()
    }
    return 0
  }
}

export const restoreCommand: Command = {
  summary: 'load a backup directory into a new database file',
  usage: 'tv-api restore --from DIR --duckdb NEW_FILE',
  options: { FROM: { description: 'A directory written by tv-api backup' } },
  settings: STORE_SETTINGS,
  async run ({ config, options, positionals }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
    const duckdb = storeOptions(config)
    const from = options.get('FROM')
    if (from === undefined || from === '') throw new UsageError('restore needs --from DIR')
    if (config.STORAGE === 'memory') throw new UsageError('restore needs a database file (STORAGE=duck)')
    try {
      await restoreDatabase(config.DUCKDB, resolve(from), { threads: config.THREADS, memoryLimit: config.DUCKDB_MEMORY_LIMIT })
    } catch (err) {
      throw new UsageError((err as Error).message)
    }
    const store = await DuckDbCandleStore.open(duckdb)
    const summary = store.listSymbols().length
    await store.close()
    process.stdout.write(`restored ${resolve(from)} into ${resolve(config.DUCKDB)} (${summary} symbols)\n`)
    return 0
  }
}
