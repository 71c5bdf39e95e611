// Applies the numbered SQL files of migrations/ in order, once each, recording them in
// schema_migrations so a restart on the same file changes nothing.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { projectRoot } from '../project.js'

export interface Migration {
  version: number
  name: string
  sql: string
}

export function migrationsDir (): string {
  return join(projectRoot(), 'migrations')
}

export function loadMigrations (dir = migrationsDir()): Migration[] {
  const migrations: Migration[] = []
  for (const file of readdirSync(dir)) {
    const m = /^(\d+)[_-](.+)\.sql$/.exec(file)
    if (m === null) continue
    migrations.push({ version: Number(m[1]), name: m[2]!, sql: readFileSync(join(dir, file), 'utf8') })
  }
  migrations.sort((a, b) => a.version - b.version)
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new Error(`two migrations share version ${migrations[i]!.version}`)
    }
  }
  return migrations
}

// What each migration must leave behind. A migration whose SQL ran but left the schema otherwise
// (CREATE TABLE IF NOT EXISTS meeting a table of another shape) is not recorded as applied.
const POSTCONDITIONS: Record<number, string> = {
  1: 'SELECT symbol, interval, ts, open, high, low, close, volume FROM candles LIMIT 0',
  2: 'SELECT symbol, interval, ts, open, high, low, close, volume, minutes, last_minute FROM candle_rollups LIMIT 0',
  3: 'SELECT volume::DECIMAL(38, 8) FROM candle_rollups LIMIT 0',
  4: 'SELECT symbol, interval, first_ts, last_ts FROM candle_series LIMIT 0'
}

async function ensureMigrationsTable (con: DuckDBConnection): Promise<void> {
  await con.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp
  )`)
}

/** The migrations not yet applied to the database, in order. */
export async function pendingMigrations (con: DuckDBConnection, migrations = loadMigrations()): Promise<Migration[]> {
  const exists = (await con.runAndReadAll(
    "SELECT count(*)::INTEGER FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = 'schema_migrations'")).getRows()[0]![0]
  if (exists === 0) return migrations
  const done = new Set((await con.runAndReadAll('SELECT version FROM schema_migrations')).getRows().map((r) => Number(r[0])))
  return migrations.filter((m) => !done.has(m.version))
}

/** Applies pending migrations; returns the versions applied by this call. */
export async function migrate (con: DuckDBConnection, migrations = loadMigrations()): Promise<number[]> {
  await ensureMigrationsTable(con)
  const applied: number[] = []
  for (const m of await pendingMigrations(con, migrations)) {
    await con.run('BEGIN TRANSACTION')
    try {
      await con.run(m.sql)
      const check = POSTCONDITIONS[m.version]
      if (check !== undefined) {
        try {
          await con.run(check)
        } catch (err) {
          throw new Error(`it ran but left the schema otherwise (${(err as Error).message.split('\n')[0]})`)
        }
      }
      await con.run('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name])
      await con.run('COMMIT')
    } catch (err) {
      await con.run('ROLLBACK')
      throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`)
    }
    applied.push(m.version)
  }
  return applied
}
