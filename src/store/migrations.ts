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

/** Applies pending migrations; returns the versions applied by this call. */
export async function migrate (con: DuckDBConnection, migrations = loadMigrations()): Promise<number[]> {
  await con.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp
  )`)
  const done = new Set((await con.runAndReadAll('SELECT version FROM schema_migrations')).getRows().map((r) => Number(r[0])))
  const applied: number[] = []
  for (const m of migrations) {
    if (done.has(m.version)) continue
    await con.run('BEGIN TRANSACTION')
    try {
      await con.run(m.sql)
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
