// Two ROLE=ingest processes on one PostgreSQL and Redis, streaming from the simulator (run here, on
// a stepped clock): SIGKILL of the leader while it streams, and the standby leads within 10 s (the
// default lock timings), its catch-up fills the minutes that closed meanwhile, and the store ends
// equal to the simulator's truth. A trigger logs every write statement with the epoch it ran under
// and the process that ran it: never two writers.
import t from 'tap'
import pg from 'pg'
import { openPostgresStore } from '../../src/store/postgres/postgres-candle-store.js'
import type { Teardown } from '../helpers.js'
import { startScriptProcess } from '../service-process.js'
import { postgresDatabase, postgresSkip } from '../services/postgres.js'
import { redisService, redisSkip } from '../services/redis.js'
import { MIN, NOW, expectTruth, startSim, stepMinutes, waitFor } from './ingest-helpers.js'

const skip = postgresSkip() || redisSkip()
const SYMBOLS = ['BTCUSDT', 'ETHUSDT']

async function stats (port: number): Promise<{ leader?: number, leader_epoch?: number | null } | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/stats`).catch(() => undefined)
  return res?.ok === true ? await res.json() as { leader?: number } : undefined
}

/** Migrates the database and logs each write statement on candles with the epoch and the writer. */
async function watchDatabase (t: Teardown, url: string) {
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
    }
  }
}

t.test('SIGKILL of the streaming leader: the standby leads within 10 s and the store equals the truth', { skip }, async (t) => {
  const url = await postgresDatabase(t)
  const { sim, clock } = await startSim(t)
  const db = await watchDatabase(t, url)
  const redis = await redisService()
  const start = async (name: string) => {
    const p = await startScriptProcess('src/server.ts', [
      '--role', 'ingest', '--live=1', '--storage', 'postgres', '--database-url', `${url}?application_name=tv-api-${name}`,
      '--bus', 'redis', '--redis-url', redis.url, '--redis-prefix', redis.prefix,
      '--host', '127.0.0.1', '--port', '0', '--log-level', 'info', '--binance-rest-url', sim.restUrl, '--binance-ws-url', sim.wsUrl,
      '--live-symbols', SYMBOLS.join(','), '--live-lookback', '2h'
    ])
    t.teardown(() => { p.child.kill('SIGKILL') })
    return p
  }
  const a = await start('a')
  await waitFor(async () => (await stats(a.port))?.leader === 1, 30_000, 'a leads')
  const b = await start('b')
  await waitFor(async () => (await db.newest()) === NOW - MIN, 30_000, "a's catch-up")
  t.match(await stats(b.port), { leader: 0, leader_epoch: null }, 'b stands by')
  await stepMinutes(clock, 3)
  await waitFor(async () => (await db.newest()) === NOW + 2 * MIN, 20_000, 'a streams')

  a.child.kill('SIGKILL')
  const killed = performance.now()
  t.equal(await a.exited, null, 'killed, not exited')
  // Minutes close while nobody leads: the new leader's catch-up has to fetch them.
  await stepMinutes(clock, 2)
  await waitFor(async () => (await stats(b.port))?.leader === 1, 20_000, 'b leads')
  const tookMs = performance.now() - killed
  t.ok(tookMs < 10_000, `b led ${Math.round(tookMs)} ms after the kill`)
  t.match(await stats(b.port), { leader: 1, leader_epoch: 2 })

  await stepMinutes(clock, 3)
  const end = NOW + 8 * MIN
  await waitFor(async () => (await db.newest()) === end - MIN, 30_000, 'b caught up and streams')
  b.child.kill('SIGTERM')
  t.equal(await b.exited, 0, 'a clean exit on SIGTERM')

  const terms = await db.terms()
  t.same(terms.map((w) => [w.epoch, w.writer]), [[1, 'tv-api-a'], [2, 'tv-api-b']], 'each term wrote from its own process only')
  t.ok(terms[0]!.last < terms[1]!.first, 'the first term wrote nothing after the second began')

  const store = await openPostgresStore({ url, poolSize: 1 })
  t.teardown(() => store.close())
  await expectTruth(t, store, sim, SYMBOLS, NOW - 120 * MIN, end, 128)
})
