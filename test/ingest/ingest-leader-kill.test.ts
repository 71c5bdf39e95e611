// Two ROLE=ingest processes on one PostgreSQL and Redis, streaming from the simulator (run here, on
// a stepped clock): SIGKILL of the leader while it streams, and the standby leads within 10 s (the
// default lock timings), its catch-up fills the minutes that closed meanwhile, and the store ends
// equal to the simulator's truth. A trigger logs every write statement with the epoch it ran under
// and the process that ran it: never two writers.
import t from 'tap'
import { openPostgresStore } from '../../src/store/postgres/postgres-candle-store.js'
import { postgresDatabase, postgresSkip } from '../services/postgres.js'
import { redisService, redisSkip } from '../services/redis.js'
import { MIN, NOW, expectTruth, startSim, stepMinutes, waitFor } from './ingest-helpers.js'
import { SYMBOLS, startIngestProcess, stats, watchDatabase } from './leader-processes.js'

const skip = postgresSkip() || redisSkip()

t.test('SIGKILL of the streaming leader: the standby leads within 10 s and the store equals the truth', { skip }, async (t) => {
  const url = await postgresDatabase(t)
  const { sim, clock } = await startSim(t)
  const db = await watchDatabase(t, url)
  const redis = await redisService()
  const start = async (name: string) => await startIngestProcess(t, name, url, redis, sim)
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
