// Two ROLE=ingest processes on one PostgreSQL and Redis, streaming from the simulator (run here, on
// a stepped clock), the leader's database link going through a relay: the link is partitioned
// while the leader streams (the process lives on, its sockets open, hearing nothing), and with the
// default lock timings the leader stands down and the standby leads within 10 s. Once the link
// heals the old leader stays a standby, the new leader's catch-up has filled the minutes of the
// changeover, and the old leader leads again when the new one stops. The write log shows no two
// writers in any moment, and the store ends equal to the simulator's truth.
import { hostname } from 'node:os'
import t from 'tap'
import { openPostgresStore } from '../../src/store/postgres/postgres-candle-store.js'
import { TcpProxy } from '../live/tcp-proxy.js'
import { postgresDatabase, postgresSkip } from '../services/postgres.js'
import { redisService, redisSkip } from '../services/redis.js'
import { MIN, NOW, expectTruth, startSim, stepMinutes, waitFor } from './ingest-helpers.js'
import { SYMBOLS, startIngestProcess, stats, watchDatabase } from './leader-processes.js'

const skip = postgresSkip() || redisSkip()
/** The statement a standby's lock session runs every second. */
const TRY_LOCK_SQL = 'SELECT pg_try_advisory_lock($1)'

t.test('a leader partitioned from PostgreSQL stands down, the standby leads within 10 s, and the store equals the truth', { skip }, async (t) => {
  const url = await postgresDatabase(t)
  const { sim, clock } = await startSim(t)
  const db = await watchDatabase(t, url)
  const redis = await redisService()
  const proxy = await TcpProxy.start(Number(new URL(url).port))
  t.teardown(() => proxy.close())
  const a = await startIngestProcess(t, 'a', proxy.via(url), redis, sim)
  await waitFor(async () => (await stats(a.port))?.leader === 1, 30_000, 'a leads')
  const b = await startIngestProcess(t, 'b', url, redis, sim)
  await waitFor(async () => (await db.newest()) === NOW - MIN, 30_000, "a's catch-up")
  t.match(await stats(b.port), { leader: 0, leader_epoch: null }, 'b stands by')
  await stepMinutes(clock, 3)
  await waitFor(async () => (await db.newest()) === NOW + 2 * MIN, 20_000, 'a streams')

  proxy.partition()
  const cut = performance.now()
  const after = async (predicate: () => Promise<boolean>, what: string) => {
    await waitFor(predicate, 30_000, what)
    return performance.now() - cut
  }
  const standingDown = after(async () => (await stats(a.port))?.leader === 0, 'a to stand down')
  const leading = after(async () => (await stats(b.port))?.leader === 1, 'b to lead')
  // Minutes close while a still believes it leads (its writes go into the partition) and after.
  await stepMinutes(clock, 2)
  const [stoodDownMs, ledMs] = await Promise.all([standingDown, leading])
  t.ok(stoodDownMs < 10_000, `a stood down ${Math.round(stoodDownMs)} ms after the partition`)
  t.ok(ledMs < 10_000, `b led ${Math.round(ledMs)} ms after the partition`)
  t.match(await stats(a.port), { leader: 0, leader_epoch: null, backend_active: false }, 'a is up, answers, and knows it lost the database')
  t.match(await stats(b.port), { leader: 1, leader_epoch: 2 })
  await stepMinutes(clock, 1)
  await waitFor(async () => (await db.newest()) === NOW + 5 * MIN, 30_000, "b's catch-up fills the changeover's minutes")

  proxy.resume()
  // a's lock tries again, as a standby, on a session of its own (its old ones all ended with the partition).
  await waitFor(async () => (await db.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'tv-api-a' AND query = $1", [TRY_LOCK_SQL])).length > 0,
    30_000, 'a to try for the lock again')
  await waitFor(async () => (await stats(a.port))?.backend_active === true, 30_000, 'a to reach the database again')
  t.match(await stats(a.port), { leader: 0, leader_epoch: null }, 'a stands by')
  t.same(await db.query('SELECT epoch, holder FROM ingest_leader'), [[2, `${hostname()}:${b.child.pid}`]], 'b keeps the lock')
  await stepMinutes(clock, 2)
  await waitFor(async () => (await db.newest()) === NOW + 7 * MIN, 30_000, 'b streams')

  b.child.kill('SIGTERM')
  t.equal(await b.exited, 0, 'b exits cleanly on SIGTERM')
  await waitFor(async () => (await stats(a.port))?.leader === 1, 30_000, 'a leads again')
  t.match(await stats(a.port), { leader: 1, leader_epoch: 3 })
  await stepMinutes(clock, 1)
  const end = NOW + 9 * MIN
  await waitFor(async () => (await db.newest()) === end - MIN, 30_000, 'a streams again')
  a.child.kill('SIGTERM')
  t.equal(await a.exited, 0, 'a exits cleanly on SIGTERM: nothing of the partition left hanging')

  const terms = await db.terms()
  t.same(terms.map((w) => [w.epoch, w.writer]), [[1, 'tv-api-a'], [2, 'tv-api-b'], [3, 'tv-api-a']], 'each term wrote from its own process only')
  t.ok(terms[0]!.last < terms[1]!.first, 'the partitioned leader wrote nothing after the second term began')
  t.ok(terms[1]!.last < terms[2]!.first, 'the second term wrote nothing after the third began')

  const store = await openPostgresStore({ url, poolSize: 1 })
  t.teardown(() => store.close())
  await expectTruth(t, store, sim, SYMBOLS, NOW - 120 * MIN, end, 129)
})
