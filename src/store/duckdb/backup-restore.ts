// Backups of a DuckDB file: `backupDatabase` writes one (EXPORT DATABASE: schema.sql, load.sql and
// one Parquet file per table), `restoreDatabase` loads one into a new database file.
//
// IMPORT DATABASE would load each table in one statement, and a table's primary-key index then
// has to fit in memory whole (a 5M-row candles table needs ~330 MB of it). The tables are
// therefore loaded in parts of MAX_TRANSACTION_ROWS rows, with a checkpoint every
// CHECKPOINT_EVERY_ROWS, which moves the index built so far into the file.
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { CheckpointBudget, insertInParts } from './bulk-writes.js'
import { DATABASE_ALIAS, openDatabase, type DatabaseOptions } from './database.js'
import { sqlString } from './sql.js'

/**
 * A consistent copy of the whole database as Parquet files plus schema, for `restoreDatabase`.
 * `con` must be a reader: one statement sees one snapshot, and the writer's TEMP staging table
 * must not end up in the copy.
 */
export async function backupDatabase (con: DuckDBConnection, dir: string): Promise<void> {
  await con.run(`EXPORT DATABASE ${sqlString(dir)} (FORMAT parquet)`)
}

interface TableFile {
  /** The table name as load.sql spells it (quoted when it needs to be). */
  table: string
  parquet: string
}

/** The tables of a backup and their Parquet files, in load.sql's order. */
export function backupTables (backupDir: string): TableFile[] {
  const load = readFileSync(join(backupDir, 'load.sql'), 'utf8')
  const out: TableFile[] = []
  for (const m of load.matchAll(/^COPY\s+("(?:[^"]|"")+"|[^\s]+)\s+FROM\s+'((?:[^']|'')*)'/gim)) {
    // The paths in load.sql are where the backup was written; the files are wherever it is now.
    out.push({ table: m[1]!, parquet: join(backupDir, basename(m[2]!.replace(/''/g, "'"))) })
  }
  return out
}

async function loadTable (con: DuckDBConnection, file: TableFile, budget: CheckpointBudget): Promise<void> {
  const source = `read_parquet(${sqlString(file.parquet)}, file_row_number = true)`
  const [[total]] = (await con.runAndReadAll(`SELECT count(*)::BIGINT FROM read_parquet(${sqlString(file.parquet)})`)).getRows() as [[bigint]]
  await insertInParts(con, total, budget, async (lo, hi) => (await con.run(`
    INSERT INTO ${file.table} SELECT * EXCLUDE (file_row_number) FROM ${source}
    WHERE file_row_number >= $1 AND file_row_number < $2`, [lo, hi])).rowsChanged)
}

/**
 * Loads a backup made by `backup()` into a new database file; refuses to touch an existing one.
 * A restore that fails removes the partial file.
 */
export async function restoreDatabase (path: string, backupDir: string, opts: DatabaseOptions = {}): Promise<void> {
  if (existsSync(path)) throw new Error(`${path} already exists; restore only into a new file`)
  if (!existsSync(join(backupDir, 'schema.sql'))) throw new Error(`${backupDir} is not a backup (no schema.sql)`)
  const tables = backupTables(backupDir)
  for (const t of tables) if (!existsSync(t.parquet)) throw new Error(`${backupDir} is incomplete: ${basename(t.parquet)} is missing`)
  const db = await openDatabase(path, opts)
  let ok = false
  try {
    const con = await db.connect()
    try {
      await con.run(readFileSync(join(backupDir, 'schema.sql'), 'utf8'))
      const budget = new CheckpointBudget()
      for (const t of tables) await loadTable(con, t, budget)
      await con.run(`CHECKPOINT ${DATABASE_ALIAS}`)
      ok = true
    } finally {
      con.closeSync()
    }
  } finally {
    db.release()
    if (!ok) for (const p of [path, `${path}.wal`]) rmSync(p, { force: true })
  }
}
