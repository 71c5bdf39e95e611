// The PostgreSQL and Redis servers of the benchmarks that need them: the ones at --url /
// BENCH_DATABASE_URL and --redis-url / BENCH_REDIS_URL when given, else throwaway servers started
// like the tests' (a temp folder, a free loopback port, removed at the end). Every benchmark gets
// a database freshly created under its own name, so nothing an earlier run left is read.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { startPostgres } from '../../test/services/postgres.js'
import { startRedis } from '../../test/services/redis.js'
import type { Knobs } from './args.js'
import { log } from './log.js'
import { cpuTimeMs } from './service.js'

export interface BenchDatabase {
  /** URL of the fresh database. */
  url: string
  /** Superuser URL of the server's admin database (for pg_stat_activity and the like). */
  adminUrl: string
  name: string
  /** CPU time (ms) so far of each server backend connected to this database, read from /proc. */
  backendCpu: () => Promise<Map<number, number>>
  /** VACUUM (ANALYZE) of the whole database: what autovacuum would do after a bulk load, done before measuring. */
  vacuum: () => Promise<void>
  /** Drops the database and stops a server this process started. */
  stop: () => Promise<void>
}

async function admin (url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

async function backendCpu (adminUrl: string, database: string): Promise<Map<number, number>> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database])
    // A server on another machine, or a backend that has just ended, has no /proc entry: not counted.
    return new Map(rows.map(({ pid }) => [pid, cpuTimeMs(pid)] as const).filter(([, ms]) => Number.isFinite(ms)))
  } finally {
    await client.end()
  }
}

/** CPU (ms) the backends used between two readings of backendCpu; a backend new since `before` counts whole. */
export function backendCpuSince (before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0
  for (const [pid, now] of after) ms += now - (before.get(pid) ?? 0)
  return ms
}

/** An empty database `name` (dropped first if an earlier run left it) on the benchmark's PostgreSQL. */
export async function benchDatabase (knobs: Knobs, name: string): Promise<BenchDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`)
  const given = knobs.string('url', process.env.BENCH_DATABASE_URL ?? '')
  const server = given === '' ? await startPostgres() : undefined
  const adminUrl = server?.url ?? given
  // Identifiers cannot be bound; the name is checked above.
  await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  await admin(adminUrl, `CREATE DATABASE ${name}`)
  log(`PostgreSQL database ${name} created on ${server === undefined ? 'the given server' : 'a throwaway server'}`)
  const url = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString()
  return {
    url,
    adminUrl,
    name,
    backendCpu: async () => await backendCpu(adminUrl, name),
    vacuum: async () => { await admin(url, 'VACUUM (ANALYZE)') },
    stop: async () => {
      await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {})
      await server?.stop()
    }
  }
}

export interface BenchRedis {
  url: string
  /** A key and channel prefix of this run's own (REDIS_PREFIX), so a shared server's other users are not heard. */
  prefix: string
  stop: () => Promise<void>
}

export async function benchRedis (knobs: Knobs): Promise<BenchRedis> {
  const given = knobs.string('redis-url', process.env.BENCH_REDIS_URL ?? '')
  const server = given === '' ? await startRedis() : undefined
  return {
    url: server?.url ?? given,
    prefix: `tvbench:${process.pid}:${randomBytes(4).toString('hex')}:`,
    stop: async () => { await server?.stop() }
  }
}
