// Two or more ROLE=ingest processes on one PostgreSQL and Redis, streaming from the simulator, and
// a watch on the database: a trigger logs every write statement on candles with the epoch it ran
// under and the process that ran it (application_name, from each process's database URL).
import pg from 'pg'
import type { Simulator } from '../../src/exchange/simulator/server.js'
import { openPostgresStore } from '../../src/store/postgres/postgres-candle-store.js'
import type { Teardown } from '../helpers.js'
import { startScriptProcess, type ServiceProcess } from '../service-process.js'
import type { RedisService } from '../services/redis.js'

export const SYMBOLS = ['BTCUSDT', 'ETHUSDT']

export interface Stats {
  leader?: number
  leader_epoch?: number | null
  backend_active?: boolean
}

/** A process's /stats, or undefined when it does not answer (within 5 s: a hung route is no answer). */
export async function stats (port: number): Promise<Stats | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/stats`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined)
  return res?.ok === true ? await res.json().catch(() => undefined) as Stats | undefined : undefined
}

/** A ROLE=ingest process writing to `databaseUrl` as application_name `tv-api-<name>`; SIGKILLed at teardown. */
export async function startIngestProcess (t: Teardown, name: string, databaseUrl: string, redis: RedisService, sim: Simulator): Promise<ServiceProcess> {
  const p = await startScriptProcess('src/server.ts', [
    '--role', 'ingest', '--live=1', '--storage', 'postgres', '--database-url', `${databaseUrl}?application_name=tv-api-${name}`,
    '--bus', 'redis', '--redis-url', redis.url, '--redis-prefix', redis.prefix,
    '--host', '127.0.0.1', '--port', '0', '--log-level', 'info', '--binance-rest-url', sim.restUrl, '--binance-ws-url', sim.wsUrl,
    '--live-symbols', SYMBOLS.join(','), '--live-lookback', '2h'
  ])
  t.teardown(() => { p.child.kill('SIGKILL') })
  return p
}

/** Migrates the database and logs each write statement on candles with the epoch and the writer. */
export async function watchDatabase (t: Teardown, url: string) {
  await (await openPostgresStore({ url, poolSize: 1 })).close()
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  t.teardown(() => client.end())
  await client.query(`
    CREATE TABLE write_log (epoch bigint, writer text, at timestamptz DEFAULT clock_timestamp());
    CREATE FUNCTION log_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      INSERT INTO write_log (epoch, writer) SELECT epoch, current_setting('application_name') FROM ingest_leader WHERE id = 1;
      RETURN NULL;
    END $$;
    CREATE TRIGGER log_write AFTER INSERT OR UPDATE OR DELETE ON candles FOR EACH STATEMENT EXECUTE FUNCTION log_write()`)
  return {
    terms: async () => (await client.query<{ epoch: number, writer: string, first: Date, last: Date }>(
      'SELECT epoch::int, writer, min(at) AS first, max(at) AS last FROM write_log GROUP BY epoch, writer ORDER BY min(at)')).rows,
    /** Open time of the newest stored 1m candle when every symbol has the same one. */
    newest: async () => {
      const { rows } = await client.query<{ ts: number }>("SELECT max(ts)::float8 AS ts FROM candles WHERE interval = '1m' GROUP BY symbol")
      return rows.length === SYMBOLS.length && rows.every((r) => r.ts === rows[0]!.ts) ? rows[0]!.ts : undefined
    },
    query: async (text: string, values: unknown[] = []) => (await client.query({ text, values, rowMode: 'array' })).rows
  }
}
