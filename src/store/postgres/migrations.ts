// Applies the numbered SQL files of migrations/postgres in order, once each, each in a transaction
// with its row in schema_migrations, so a restart changes nothing and a failed migration leaves
// nothing behind. An advisory lock makes processes starting together take turns.
import { join } from 'node:path'
import type pg from 'pg'
import { projectRoot } from '../../project.js'
import { loadMigrations, type Migration } from '../migrations.js'

export function postgresMigrationsDir (): string {
  return join(projectRoot(), 'migrations', 'postgres')
}

/** Key of the advisory lock held while migrating (any constant no other lock of the database uses). */
const MIGRATION_LOCK = 7_414_263_001

/** Applies pending migrations; returns the versions applied by this call. */
export async function migratePostgres (client: pg.Client, migrations: Migration[] = loadMigrations(postgresMigrationsDir())): Promise<number[]> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`)
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version))
    const applied: number[] = []
    for (const m of migrations.filter((m) => !done.has(m.version))) {
      await client.query('BEGIN')
      try {
        await client.query(m.sql)
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name])
        await client.query('COMMIT')
      } catch (err) {
        await client.query('ROLLBACK')
        throw new Error(`PostgreSQL migration ${m.version} (${m.name}) failed: ${(err as Error).message}`)
      }
      applied.push(m.version)
    }
    return applied
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK])
  }
}
