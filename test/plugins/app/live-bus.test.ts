// BUS picks the live bus. Over Redis the app starts whether or not Redis answers (readiness says
// which), the store's writes go out as notices that reach the other replicas' stores (and so their
// caches and series indexes), and closing the app closes the bus.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Candle } from '../../../src/domain/candle.js'
import { InProcessLiveBus } from '../../../src/live/live-bus.js'
import { RedisLiveBus } from '../../../src/live/redis-live-bus.js'
import type { CandleStore, SeriesRange } from '../../../src/store/candle-store.js'
import { closedPort } from '../../cli-process.js'
import { MIN, T0, json, memoryStore, testApp } from '../../helpers.js'
import { waitFor } from '../../ingest/ingest-helpers.js'
import { redisService, redisSkip } from '../../services/redis.js'

const WAIT_MS = 30_000

const minute = (i: number): Candle => ({ symbol: 'BTCUSDT', interval: '1m', ts: T0 + i * MIN, open: 100, high: 102, low: 99, close: 101, volume: 1 })

const readyz = async (app: FastifyInstance) => await app.inject('/readyz')

t.test('BUS=local: the in-process bus, always ready', async (t) => {
  const app = await testApp(t)
  t.ok(app.liveBus instanceof InProcessLiveBus)
  t.equal((await readyz(app)).statusCode, 200)
})

t.test('BUS=redis with Redis unreachable: the app starts, /readyz answers 503 until the bus connects', async (t) => {
  const app = await testApp(t, { BUS: 'redis', REDIS_URL: `redis://127.0.0.1:${await closedPort()}` })
  t.ok(app.liveBus instanceof RedisLiveBus)
  const res = await readyz(app)
  t.equal(res.statusCode, 503)
  t.same(json(res), { status: 'not_ready', reason: 'the live bus is disconnected (Redis); reconnecting' })
  t.equal(res.headers['retry-after'], '2')
  t.equal((await app.inject('/healthz')).statusCode, 200, 'alive all the same: a restart would not bring Redis back')
  t.match(json(await app.inject('/stats')).bus, { kind: 'redis', connected: false })
})

t.test('BUS=redis: REDIS_PREFIX names the channel, readiness follows the connection, close closes the bus', { skip: redisSkip() }, async (t) => {
  const { url, prefix } = await redisService()
  const app = await testApp(t, { BUS: 'redis', REDIS_URL: url, REDIS_PREFIX: prefix })
  const bus = app.liveBus as RedisLiveBus
  t.equal(bus.channel, `${prefix}live`)
  await waitFor(async () => (await readyz(app)).statusCode === 200, WAIT_MS, '/readyz to answer 200')
  t.match(json(await app.inject('/stats')).bus, { kind: 'redis', connected: true, publish_failed_total: 0 })
  await app.close()
  // QUIT is answered just before the connection ends.
  await waitFor(() => !bus.ready(), WAIT_MS, 'the bus to close with the app')
  t.pass('the bus closed with the app')
})

t.test('BUS=redis: a write on one replica reaches the other replicas\' stores, never its own', { skip: redisSkip() }, async (t) => {
  const { url, prefix } = await redisService()
  const settings = { BUS: 'redis', REDIS_URL: url, REDIS_PREFIX: prefix } as const
  // DuckDB stores are one process's own: these two take notices in as a shared store would.
  type Heard = Array<{ symbols: readonly string[], ranges: readonly SeriesRange[] }>
  const heard: { a: Heard, b: Heard } = { a: [], b: [] }
  const storeA = await memoryStore(t)
  const storeB = await memoryStore(t);
  (storeA as CandleStore).applyRemoteWrite = (symbols, ranges) => { heard.a.push({ symbols, ranges }) };
  (storeB as CandleStore).applyRemoteWrite = (symbols, ranges) => { heard.b.push({ symbols, ranges }) }
  const a = await testApp(t, settings, { store: storeA })
  const b = await testApp(t, settings, { store: storeB })
  await waitFor(() => a.liveBus.ready() && b.liveBus.ready(), WAIT_MS, 'both buses to connect')
  await (a.liveBus as RedisLiveBus).idle()
  await (b.liveBus as RedisLiveBus).idle()

  await storeA.upsertBatch([minute(0), minute(1), minute(2)])
  await waitFor(() => heard.b.length > 0, WAIT_MS, 'the notice to reach the other replica')
  t.same(heard.b[0].symbols, ['BTCUSDT'])
  t.same(heard.b[0].ranges.find((r) => r.interval === '1m'), { symbol: 'BTCUSDT', interval: '1m', first: T0, last: T0 + 2 * MIN }, 'with the series range after the write')
  t.ok(heard.b[0].ranges.every((r) => r.symbol === 'BTCUSDT'))
  t.same(heard.a, [], 'a replica ignores its own notices')
  t.ok(json(await a.inject('/stats')).bus.published_total >= 1)
})
