// Retention of a service on PostgreSQL that ingests nothing (ROLE=all, LIVE off): it takes part in
// no election, so each run takes the ingest leader lock once and deletes under that term, or leaves
// the deleting to the process holding the lock; it never deletes beside a leader's writes.
import t from 'tap'
import pg from 'pg'
import { minuteCandles } from '../../../src/exchange/simulator/price-model.js'
import { openPostgresStore } from '../../../src/store/postgres/postgres-candle-store.js'
import { buildApp } from '../../../src/app.js'
import { DAY, T0, testConfig, type Teardown } from '../../helpers.js'
import { waitFor } from '../../ingest/ingest-helpers.js'
import { postgresDatabase, postgresSkip } from '../../services/postgres.js'

const skip = postgresSkip()

/** A database holding a day of 2024 (older than any retention of 90 days). */
async function oldDay (t: Teardown): Promise<string> {
  const url = await postgresDatabase(t)
  const store = await openPostgresStore({ url, poolSize: 1 })
  await store.upsertBatch(minuteCandles('BTCUSDT', T0, T0 + DAY))
  await store.close()
  return url
}

async function sql (t: Teardown, url: string) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  t.teardown(() => client.end())
  return async (text: string) => (await client.query({ text, rowMode: 'array' })).rows
}

/** A service's start and stop: retention runs at start, and the stop waits for it. */
async function serveOnce (url: string): Promise<void> {
  const app = await buildApp(testConfig({ STORAGE: 'postgres', DATABASE_URL: url, ROLE: 'all', LIVE: false, RETENTION_DAYS: '1m=90', CHECKPOINT_INTERVAL_MS: 0 }), { logger: false })
  await app.ready()
  await app.close()
}

t.test('while an ingest leader holds the lock, retention is left to it: nothing deleted, the leader keeps its term', { skip }, async (t) => {
  const url = await oldDay(t)
  const store = await openPostgresStore({ url, poolSize: 1 })
  const lock = await store.leaderLock({ holder: 'ingest-host:1234', retryMs: 50, checkMs: 50 })
  t.teardown(async () => {
    await lock.close()
    await store.close()
  })
  const led: number[] = []
  lock.start({ onLeader: (epoch) => led.push(epoch), onLost: () => {} })
  await waitFor(() => led.length === 1, 10_000, 'the ingest process leads')
  await serveOnce(url)
  const query = await sql(t, url)
  t.same(await query('SELECT count(*)::int FROM candles WHERE interval = \'1m\''), [[1440]], 'nothing deleted')
  t.same(await query('SELECT epoch::int, holder FROM ingest_leader'), [[1, 'ingest-host:1234']])
  t.same(lock.state, { role: 'leader', epoch: 1 })
})

t.test('with the lock free, retention deletes under a term of its own and frees the lock', { skip }, async (t) => {
  const url = await oldDay(t)
  await serveOnce(url)
  const query = await sql(t, url)
  t.same(await query('SELECT count(*)::int FROM candles'), [[0]], 'the old day is deleted')
  t.match(await query('SELECT epoch::int, holder FROM ingest_leader'), [[1, /^retention [^ ]+:\d+$/]], 'under a term of its own')
  await waitFor(async () => (await query("SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory'"))[0]![0] === 0, 10_000, 'the lock freed')
})
