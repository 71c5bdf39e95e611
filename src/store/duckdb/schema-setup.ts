// What opening a database file does to its schema, and what it says about it: a file of the C++
// service is migrated as a whole (legacy-file.ts); pending migrations of an existing file run
// after a copy of the file is kept; the optional symbol catalog is read.
import { copyFileSync } from 'node:fs'
import type { DuckDBConnection } from '@duckdb/node-api'
import type { SymbolParts } from '../../domain/symbols.js'
import type { Log } from '../../log.js'
import { DATABASE_ALIAS, MEMORY_PATH, type DatabaseHandle, type DatabaseOptions } from './database.js'
import { freeName, migrateLegacyFile } from './legacy-file.js'
import { migrate, pendingMigrations } from '../migrations.js'

/** Migrates a legacy file in place (see legacy-file.ts) and logs what it found and did. */
export async function upgradeLegacyFile (path: string, opts: DatabaseOptions, log: Log): Promise<void> {
  if (path === MEMORY_PATH) return
  const started = performance.now()
  const r = await migrateLegacyFile(path, opts)
  if (r === undefined) return
  log.warn({
    path,
    rows: r.rows,
    intervals: r.intervals,
    secondsToMs: r.secondsToMs,
    symbolsUpperCased: r.symbolsUpperCased,
    mergedDuplicates: r.mergedDuplicates,
    catalogSymbols: r.catalogSymbols,
    backup: r.backup,
    durationMs: Math.round(performance.now() - started)
  }, `migrated the C++ service's database file: ${r.rows} candles (${Object.entries(r.intervals).map(([i, n]) => `${n} ${i}`).join(', ') || 'none'}), ` +
    `${r.secondsToMs} open times converted from seconds to milliseconds, roll-ups and series ranges built; the original is kept at ${r.backup}`)
  if (r.otherTables.length > 0) {
    log.warn({ path, tables: r.otherTables, backup: r.backup }, `tables not migrated (kept in ${r.backup}): ${r.otherTables.join(', ')}`)
  }
}

/**
 * Applies pending migrations. A file that already holds a schema is copied first (`<file>.pre-
 * migration-<version>`), so a migration never changes the only copy of a database.
 */
export async function applyMigrations (db: DatabaseHandle, con: DuckDBConnection, log: Log): Promise<void> {
  const pending = await pendingMigrations(con)
  if (pending.length === 0) return
  if (!db.path.startsWith(MEMORY_PATH) && await holdsSchema(con)) {
    await con.run(`CHECKPOINT ${DATABASE_ALIAS}`)
    const copy = freeName(`${db.path}.pre-migration-${pending[0]!.version}`)
    copyFileSync(db.path, copy)
    log.warn({ path: db.path, copy, pending: pending.map((m) => m.version) }, `kept a copy of the database at ${copy} before migrating it`)
  }
  const applied = await migrate(con)
  log.info({ path: db.path, applied }, `schema migrations applied: ${applied.join(', ')}`)
}

async function holdsSchema (con: DuckDBConnection): Promise<boolean> {
  const [[n]] = (await con.runAndReadAll(
    "SELECT count(*)::INTEGER FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'")).getRows() as [[number]]
  return n > 0
}

/** Base and quote assets by symbol from catalog_symbols (carried over from a legacy file), when present. */
export async function loadSymbolCatalog (con: DuckDBConnection): Promise<Map<string, SymbolParts>> {
  const [[exists]] = (await con.runAndReadAll(
    "SELECT count(*)::INTEGER FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = 'catalog_symbols'")).getRows() as [[number]]
  const out = new Map<string, SymbolParts>()
  if (exists === 0) return out
  for (const [symbol, base, quote] of (await con.runAndReadAll('SELECT symbol, base, quote FROM catalog_symbols')).getRows() as Array<[string, string | null, string | null]>) {
    out.set(symbol, { ...(base !== null ? { base } : {}), ...(quote !== null ? { quote } : {}) })
  }
  return out
}

/** A log for a store opened without one (CLI commands): its warnings still reach stderr. */
export function stderrLog (): Log {
  const write = (level: string) => (obj: unknown, msg?: string) => {
    process.stderr.write(`${level}: ${msg ?? (typeof obj === 'string' ? obj : JSON.stringify(obj))}\n`)
  }
  const log: Log = {
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: write('warning'),
    error: write('error'),
    fatal: write('fatal'),
    child: () => log
  }
  return log
}
