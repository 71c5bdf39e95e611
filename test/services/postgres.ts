// A throwaway PostgreSQL for tests: TEST_DATABASE_URL when set (CI starts one server for the whole
// suite), otherwise one server per test process, initdb'd into a temp folder and listening on a
// free loopback port, with fsync off. Every caller gets a database of its own, so test files
// running in parallel never see each other's tables.
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import type { Teardown } from '../helpers.js'
import {
  debianPostgresBins, isExecutable, launchOnPort, onPath, ownedTempDir, runAs, sharedServerUrl, spawnServer, stopServer, unprivilegedUser
} from './processes.js'

export const POSTGRES_INSTALL = 'sudo apt-get install postgresql'

/** The folder holding initdb and postgres: PG_BIN, Debian's newest (15+), or PATH. */
export function postgresBin (): string | undefined {
  const candidates = [process.env.PG_BIN, ...debianPostgresBins(), onPath('initdb')?.replace(/\/initdb$/, '')]
  return candidates.find((dir): dir is string =>
    dir !== undefined && dir !== '' && isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'postgres')))
}

/** `false` when tests can have a PostgreSQL, else the reason to give tap's `skip` option. */
export function postgresSkip (): string | false {
  if ((process.env.TEST_DATABASE_URL ?? '') !== '' || postgresBin() !== undefined) return false
  return `no PostgreSQL 15+ found: install it with \`${POSTGRES_INSTALL}\` (or set TEST_DATABASE_URL)`
}

export interface PostgresServer {
  /** Superuser URL of the server's `postgres` database. */
  url: string
  stop: () => Promise<void>
}

async function answers (url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } finally {
    await client.end().catch(() => {})
  }
}

/** Starts a PostgreSQL server of its own in a temp folder; `stop()` shuts it down and removes the folder. */
export async function startPostgres (): Promise<PostgresServer> {
  const bin = postgresBin()
  if (bin === undefined) throw new Error(String(postgresSkip()))
  const user = unprivilegedUser()
  const dir = ownedTempDir('tv-api-pg-', user)
  const data = join(dir, 'data')
  try {
    await runAs(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], user)
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const urlAt = (port: number) => `postgres://postgres@127.0.0.1:${port}/postgres`
  // SIGQUIT: immediate shutdown; the folder is removed anyway, so there is nothing to flush.
  const { port, child } = await launchOnPort('postgres', dir, undefined, 'SIGQUIT', (port) => ({
    child: spawnServer(join(bin, 'postgres'), [
      '-D', data, '-p', String(port), '-k', dir,
      '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
      '-c', 'max_connections=200', '-c', 'shared_buffers=64MB'
    ], user, dir),
    ready: () => answers(urlAt(port))
  }))
  return { url: urlAt(port), stop: () => stopServer(child, 'SIGQUIT', dir) }
}

/** The admin URL: TEST_DATABASE_URL, or this process's own server. */
const adminUrl = sharedServerUrl('TEST_DATABASE_URL', startPostgres)

/** Runs one statement on the admin database and returns its rows. */
export async function adminQuery (sql: string, values: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: await adminUrl() })
  await client.connect()
  try {
    return (await client.query(sql, values)).rows
  } finally {
    await client.end()
  }
}

/**
 * Drops a test database. A pool's end() resolves before its connections have closed, and FORCE
 * would terminate one its owner is still closing, which the owner reports as an error
 * ("terminating connection due to administrator command"). So this waits (up to 10 s) for the
 * database's sessions to go on their own; FORCE only ends what a test truly left behind.
 */
async function dropDatabase (name: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const [row] = await adminQuery('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name])
    if (row?.n === 0) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
}

/** URL of a new empty database, dropped (connections and all) at teardown. */
export async function postgresDatabase (t: Teardown): Promise<string> {
  const admin = await adminUrl()
  const name = `tv_test_${process.pid}_${randomBytes(6).toString('hex')}`
  await adminQuery(`CREATE DATABASE ${name}`)
  t.teardown(() => dropDatabase(name))
  const url = new URL(admin)
  url.pathname = `/${name}`
  return url.toString()
}
