// How the PostgreSQL store connects: one pool for reads and one dedicated connection for writes,
// with the type parsing the store's queries rely on.
import pg from 'pg'

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database (any libpq-style URL `pg` accepts). */
  url: string
  /** Reader connections in the pool; reads run in parallel across them (default 8). */
  poolSize?: number
  /** How long opening a connection may take before it fails (default 10 s). */
  connectTimeoutMs?: number
  /** application_name the server shows for the store's connections. */
  applicationName?: string
}

const INT8_OID = 20
const NUMERIC_OID = 1700

// bigint open times come back as numbers (every stored time is below 2^53); numeric stays text, so
// exact volume sums reach JavaScript undamaged and are converted there (see volume-double.ts).
const typeParser = ((oid: number, format?: string) => {
  if (oid === INT8_OID) return (value: string) => Number(value)
  if (oid === NUMERIC_OID) return (value: string) => value
  return pg.types.getTypeParser(oid, format as 'text')
}) as typeof pg.types.getTypeParser

function clientConfig (opts: PostgresStoreOptions): pg.ClientConfig {
  return {
    connectionString: opts.url,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    application_name: opts.applicationName ?? 'tv-api',
    types: { getTypeParser: typeParser }
  }
}

export function createPool (opts: PostgresStoreOptions): pg.Pool {
  return new pg.Pool({ ...clientConfig(opts), max: Math.max(1, opts.poolSize ?? 8), idleTimeoutMillis: 30_000 })
}

/**
 * Session settings of the connections an ingest leader depends on (its lock, its writer): should
 * the process die or be cut off, the server notices within seconds (keepalives, unacknowledged
 * data, a transaction left open) and ends the session, which frees the lock and every row lock.
 */
export const FAILOVER_SESSION: pg.ClientConfig = {
  keepAlive: true,
  keepAliveInitialDelayMillis: 1000,
  idle_in_transaction_session_timeout: 5000,
  options: '-c tcp_keepalives_idle=2 -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3 -c tcp_user_timeout=5000'
}

/** A connection of its own (the writer), outside the pool so reads never wait behind a long write. */
export async function connectClient (opts: PostgresStoreOptions, session: pg.ClientConfig = {}): Promise<pg.Client> {
  const client = new pg.Client({ ...clientConfig(opts), ...session })
  await client.connect()
  return client
}

/** Rows as arrays, in column order: what every read of the store takes. */
export async function queryRows<T extends unknown[]> (db: pg.Pool | pg.PoolClient | pg.Client, text: string, values: unknown[] = [], name?: string): Promise<T[]> {
  const result = await db.query<T>({ text, values, rowMode: 'array', ...(name !== undefined ? { name } : {}) })
  return result.rows
}

const statementNames = new Map<string, string>()

/**
 * The name a statement is prepared under on each connection that runs it (once per connection;
 * later runs skip parsing and planning). One name per text for the whole process.
 */
export function statementName (text: string): string {
  let name = statementNames.get(text)
  if (name === undefined) {
    name = `tv_${statementNames.size + 1}`
    statementNames.set(text, name)
  }
  return name
}
