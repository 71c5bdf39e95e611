// The database file of the C++ service this one replaces: `candles(symbol, interval, ts, o, h, l,
// c, v)` keyed by (symbol, interval, ts), some `ts` in seconds (< 1e12) that the old service
// multiplied by 1000 on read, symbols as written, and an optional `catalog_symbols(symbol, base,
// quote)`. No schema_migrations table.
//
// Such a file is migrated as a whole or not at all: the new schema is built in a new file next to
// it (`<file>.migrating`), in bounded parts with checkpoints so any size fits the memory limit;
// only when that file is complete does it replace the original, by one rename. The original stays
// as `<file>.legacy-backup` (a hard link where the file system allows, else a copy), untouched, so
// it is also the backup. A crash before the rename leaves the original in place and the next start
// begins again.
import { copyFileSync, existsSync, linkSync, renameSync, rmSync } from 'node:fs'
import type { DuckDBConnection } from '@duckdb/node-api'
import { CheckpointBudget, insertInParts } from './bulk-writes.js'
import { DATABASE_ALIAS, openDatabase, type DatabaseOptions } from './database.js'
import { migrate } from '../migrations.js'
import { hourlyRollups } from './rollup-sql.js'
import { sqlString } from './sql.js'

/** Recorded in schema_migrations when a legacy file was converted (numbered migrations start at 1). */
export const LEGACY_MIGRATION = { version: 0, name: 'legacy_cpp_service_file' }

export interface LegacyReport {
  /** Rows of the legacy candles table. */
  rows: number
  /** Rows stored per interval label after the migration. */
  intervals: Record<string, number>
  /** Rows whose open time was in seconds and is now in milliseconds. */
  secondsToMs: number
  /** Rows whose symbol was not upper case (or had blanks) and is now upper case. */
  symbolsUpperCased: number
  /** Rows that became identical copies of another row (same key, same values) and were stored once. */
  mergedDuplicates: number
  /** Entries of catalog_symbols carried over (0 when the file had none). */
  catalogSymbols: number
  /** Tables of the legacy file that are not migrated (they stay in the backup). */
  otherTables: string[]
  /** Where the original file was kept. */
  backup: string
}

export class LegacyMigrationError extends Error {}

const LEGACY_COLUMNS = ['symbol', 'interval', 'ts', 'o', 'h', 'l', 'c', 'v']

async function tableColumns (con: DuckDBConnection, database: string): Promise<Map<string, string[]>> {
  const rows = (await con.runAndReadAll(
    "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = $1 AND schema_name = 'main' ORDER BY table_name, column_index",
    [database])).getRows() as Array<[string, string]>
  const out = new Map<string, string[]>()
  for (const [table, column] of rows) out.set(table, [...(out.get(table) ?? []), column.toLowerCase()])
  return out
}

/** True when the attached database `database` has the C++ service's schema. */
export async function isLegacySchema (con: DuckDBConnection, database = DATABASE_ALIAS): Promise<boolean> {
  const tables = await tableColumns(con, database)
  const candles = tables.get('candles')
  return candles !== undefined && !tables.has('schema_migrations') && LEGACY_COLUMNS.every((c) => candles.includes(c)) && !candles.includes('open')
}

// Open times the old service read as seconds (0 < ts < 1e12) and the symbol as every entry point normalises it.
const NORMAL_TS = 'CASE WHEN ts > 0 AND ts < 1000000000000 THEN ts * 1000 ELSE ts END'
const NORMAL_SYMBOL = 'upper(trim(symbol))'
const CHANGED = `(ts > 0 AND ts < 1000000000000) OR symbol <> ${NORMAL_SYMBOL}`

/**
 * Refuses a file the migration cannot take whole: NULL fields (the new schema has none), or two
 * rows that become one key with different values once their open times and symbols are
 * normalised. Returns how many rows merge into an identical one.
 */
async function checkMergeable (con: DuckDBConnection): Promise<number> {
  const [[nulls]] = (await con.runAndReadAll(`SELECT count(*)::BIGINT FROM legacy.candles
    WHERE symbol IS NULL OR interval IS NULL OR ts IS NULL OR o IS NULL OR h IS NULL OR l IS NULL OR c IS NULL OR v IS NULL`)).getRows() as [[bigint]]
  if (nulls > 0n) {
    throw new LegacyMigrationError(`${nulls} rows of candles have NULL fields, which the new schema cannot hold; fix or delete them first (e.g. DELETE FROM candles WHERE o IS NULL OR h IS NULL OR l IS NULL OR c IS NULL OR v IS NULL)`)
  }
  // Only rows whose key changes can collide: with each other, or with a row already in normal form.
  const rows = (await con.runAndReadAll(`
    WITH changed AS (
      SELECT ${NORMAL_SYMBOL} AS s, interval AS i, ${NORMAL_TS} AS t, o, h, l, c, v FROM legacy.candles WHERE ${CHANGED}
    ), twins AS (
      SELECT x.symbol AS s, x.interval AS i, x.ts AS t, x.o, x.h, x.l, x.c, x.v
      FROM legacy.candles x SEMI JOIN changed ON x.symbol = changed.s AND x.interval = changed.i AND x.ts = changed.t
    ), keys AS (
      SELECT s, i, t, count(*) AS k, count(DISTINCT [o, h, l, c, v]) AS n
      FROM (SELECT * FROM changed UNION ALL SELECT * FROM twins) GROUP BY s, i, t HAVING count(*) > 1
    )
    SELECT count(*) FILTER (WHERE n > 1)::BIGINT, coalesce(sum(k - 1) FILTER (WHERE n = 1), 0)::BIGINT,
           any_value(s || ' ' || i || ' ' || t) FILTER (WHERE n > 1)
    FROM keys`)).getRows() as Array<[bigint, bigint, string | null]>
  const [conflicts, merged, example] = rows[0]!
  if (conflicts > 0n) {
    throw new LegacyMigrationError(`${conflicts} candles are stored twice with different values once second timestamps are read as milliseconds and symbols upper-cased (e.g. ${example ?? '?'}); delete the copy that is wrong, then start again`)
  }
  return Number(merged)
}

async function copyCandles (con: DuckDBConnection): Promise<void> {
  const [[maxRowId]] = (await con.runAndReadAll('SELECT coalesce(max(rowid), -1)::BIGINT FROM legacy.candles')).getRows() as [[bigint]]
  // A part may hold both copies of a merged pair, and a later part may meet one already stored.
  await insertInParts(con, maxRowId + 1n, new CheckpointBudget(), async (lo, hi) => (await con.run(`
    INSERT INTO candles
    SELECT DISTINCT ON (s, i, t) s, i, t, o, h, l, c, v FROM (
      SELECT ${NORMAL_SYMBOL} AS s, interval AS i, ${NORMAL_TS} AS t, o, h, l, c, v
      FROM legacy.candles WHERE rowid >= $1 AND rowid < $2)
    ON CONFLICT DO NOTHING`, [lo, hi])).rowsChanged)
}

/** The hourly roll-ups and series ranges of everything copied, one symbol at a time. */
async function buildDerived (con: DuckDBConnection): Promise<void> {
  const symbols = (await con.runAndReadAll("SELECT DISTINCT symbol FROM candles WHERE interval = '1m' ORDER BY symbol")).getRows().map((r) => r[0] as string)
  for (const symbol of symbols) {
    await con.run(`INSERT INTO candle_rollups ${hourlyRollups('candles', 'symbol = $1')}`, [symbol])
  }
  await con.run("INSERT INTO candle_series SELECT symbol, interval, min(ts), max(ts) FROM candles WHERE interval <> '1m' GROUP BY symbol, interval")
}

async function copyCatalog (con: DuckDBConnection, columns: string[] | undefined): Promise<number> {
  await con.run('CREATE TABLE IF NOT EXISTS catalog_symbols (symbol VARCHAR PRIMARY KEY, base VARCHAR, quote VARCHAR)')
  if (columns === undefined || !columns.includes('symbol')) return 0
  const part = (name: string) => columns.includes(name) ? `nullif(trim(${name}::VARCHAR), '')` : 'NULL'
  const r = await con.run(`
    INSERT INTO catalog_symbols
    SELECT DISTINCT ON (s) s, b, q FROM (
      SELECT upper(trim(symbol::VARCHAR)) AS s, ${part('base')} AS b, ${part('quote')} AS q FROM legacy.catalog_symbols
      WHERE symbol IS NOT NULL AND trim(symbol::VARCHAR) <> '')
    ORDER BY s, (b IS NULL)::INTEGER + (q IS NULL)::INTEGER`)
  return r.rowsChanged
}

function removeDatabaseFiles (path: string): void {
  for (const p of [path, `${path}.wal`, `${path}.tmp`]) rmSync(p, { force: true, recursive: true })
}

/** `path`, or `path.1`, `path.2`... whichever does not exist yet. */
export function freeName (path: string): string {
  if (!existsSync(path)) return path
  for (let i = 1; ; i++) if (!existsSync(`${path}.${i}`)) return `${path}.${i}`
}

/** Keeps the original as `backup`: a hard link (instant, no space) where possible, else a copy. */
function keepOriginal (path: string, backup: string): void {
  try {
    linkSync(path, backup)
  } catch {
    copyFileSync(path, backup)
  }
}

/**
 * Migrates the file at `path` when it has the C++ service's schema; returns what was done, or
 * undefined when the file is not such a file (or does not exist).
 */
export async function migrateLegacyFile (path: string, opts: DatabaseOptions = {}): Promise<LegacyReport | undefined> {
  if (!existsSync(path)) return undefined
  const inspect = await openDatabase(path, opts)
  let legacyTables: Map<string, string[]>
  try {
    const con = await inspect.connect()
    try {
      if (!(await isLegacySchema(con))) return undefined
      legacyTables = await tableColumns(con, DATABASE_ALIAS)
      // Folds a WAL the old service may have left into the file, so the file alone is the whole database.
      await con.run(`CHECKPOINT ${DATABASE_ALIAS}`)
    } finally {
      con.closeSync()
    }
  } finally {
    inspect.release()
  }

  const target = `${path}.migrating`
  removeDatabaseFiles(target)
  const db = await openDatabase(target, opts)
  let report: Omit<LegacyReport, 'backup'>
  try {
    const con = await db.connect()
    try {
      await con.run(`ATTACH ${sqlString(path)} AS legacy (READ_ONLY)`)
      const [[rows, secondsToMs, symbolsUpperCased]] = (await con.runAndReadAll(`
        SELECT count(*)::BIGINT, count(*) FILTER (WHERE ts > 0 AND ts < 1000000000000)::BIGINT,
               count(*) FILTER (WHERE symbol <> ${NORMAL_SYMBOL})::BIGINT FROM legacy.candles`)).getRows() as [[bigint, bigint, bigint]]
      const mergedDuplicates = await checkMergeable(con)
      await migrate(con)
      await copyCandles(con)
      await buildDerived(con)
      const catalogSymbols = await copyCatalog(con, legacyTables.get('catalog_symbols'))
      await con.run('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [LEGACY_MIGRATION.version, LEGACY_MIGRATION.name])
      const intervals = Object.fromEntries((await con.runAndReadAll(
        'SELECT interval, count(*)::BIGINT FROM candles GROUP BY interval ORDER BY interval')).getRows().map(([i, n]) => [i as string, Number(n)]))
      const stored = Object.values(intervals).reduce((a, b) => a + b, 0)
      if (stored + mergedDuplicates !== Number(rows)) {
        throw new LegacyMigrationError(`the migration stored ${stored} rows and merged ${mergedDuplicates} of ${rows}; the original file is unchanged`)
      }
      await con.run('DETACH legacy')
      await con.run(`CHECKPOINT ${DATABASE_ALIAS}`)
      report = {
        rows: Number(rows),
        intervals,
        secondsToMs: Number(secondsToMs),
        symbolsUpperCased: Number(symbolsUpperCased),
        mergedDuplicates,
        catalogSymbols,
        otherTables: [...legacyTables.keys()].filter((t) => t !== 'candles' && t !== 'catalog_symbols')
      }
    } finally {
      con.closeSync()
    }
  } catch (err) {
    db.release()
    removeDatabaseFiles(target)
    throw err
  }
  db.release()

  const backup = freeName(`${path}.legacy-backup`)
  keepOriginal(path, backup)
  // The old WAL was folded in above; one left now would be replayed against the new file.
  if (existsSync(`${path}.wal`)) renameSync(`${path}.wal`, `${backup}.wal`)
  renameSync(target, path)
  rmSync(`${target}.tmp`, { recursive: true, force: true })
  return { ...report, backup }
}
