// With BUS=redis the rate-limit counters live in Redis: a client's budget is one across every
// replica, exports included, and a Redis that fails lets requests through rather than refusing them.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Settings } from '../../../src/settings/schema.js'
import { closedPort } from '../../cli-process.js'
import { MIN, T0, json, seededStore, testApp, type Teardown } from '../../helpers.js'
import { waitFor } from '../../ingest/ingest-helpers.js'
import { redisService, redisSkip } from '../../services/redis.js'

const WAIT_MS = 30_000

/** Waits until the app's counters reach Redis: a request from a client of its own gets counted. */
async function counting (app: FastifyInstance, warmUpIp: string, max: number): Promise<void> {
  await waitFor(async () => {
    const res = await app.inject({ url: '/api/v1/symbols', remoteAddress: warmUpIp })
    return Number(res.headers['x-ratelimit-remaining']) < max
  }, WAIT_MS, 'the rate limiter to reach Redis')
}

/** Two replicas on one store and one Redis, counters shared under the test's own prefix. */
async function replicas (t: Teardown, settings: Partial<Settings>): Promise<[FastifyInstance, FastifyInstance]> {
  const { url, prefix } = await redisService()
  const store = await seededStore(t, ['BTCUSDT'], 3)
  const shared = { BUS: 'redis', REDIS_URL: url, REDIS_PREFIX: prefix, RATE_LIMIT_WINDOW_MS: 60_000, ...settings } as const
  const a = await testApp(t, shared, { store })
  const b = await testApp(t, shared, { store })
  await counting(a, '10.0.0.1', settings.RATE_LIMIT_MAX!)
  await counting(b, '10.0.0.2', settings.RATE_LIMIT_MAX!)
  return [a, b]
}

t.test('one client, two replicas: one budget', { skip: redisSkip() }, async (t) => {
  const [a, b] = await replicas(t, { RATE_LIMIT_MAX: 4 })
  const client = { remoteAddress: '10.1.1.1' }
  const seen: Array<[number, string]> = []
  for (const app of [a, b, a, b, a, b]) {
    const res = await app.inject({ url: '/api/v1/symbols', ...client })
    seen.push([res.statusCode, String(res.headers['x-ratelimit-remaining'])])
  }
  t.same(seen, [[200, '3'], [200, '2'], [200, '1'], [200, '0'], [429, '0'], [429, '0']], 'the fifth request is refused on either replica')
  const refused = await b.inject({ url: '/api/v1/symbols', ...client })
  t.match(json(refused), { error: 'rate_limited', message: /^more than 4 requests in 1 minute; retry after \d+ s$/ })
  t.equal((await a.inject({ url: '/api/v1/symbols', remoteAddress: '10.1.1.2' })).statusCode, 200, 'another client has a budget of its own')
  t.equal((await b.inject({ url: '/readyz', ...client })).statusCode, 200, 'probes stay exempt')
})

t.test('an export charged on one replica is spent on the other (rateBudget on the Redis store)', { skip: redisSkip() }, async (t) => {
  const [a, b] = await replicas(t, { RATE_LIMIT_MAX: 6, EXPORT_CANDLES_PER_REQUEST: 500 })
  const client = { remoteAddress: '10.2.2.2' }
  let res = await a.inject({ url: `/api/v1/export?symbol=BTCUSDT&interval=1m&to=${T0 + 1500 * MIN - 1}`, ...client })
  t.equal(res.statusCode, 200, '1500 candles: 3 requests')
  t.equal(res.headers['x-ratelimit-remaining'], '3')
  res = await b.inject({ url: '/api/v1/symbols', ...client })
  t.equal(res.headers['x-ratelimit-remaining'], '2', 'the other replica sees the charge')
  res = await b.inject({ url: `/api/v1/export?symbol=BTCUSDT&interval=1m&to=${T0 + 1500 * MIN - 1}`, ...client })
  t.equal(res.statusCode, 429, 'and refuses an export larger than what is left')
  t.match(json(res), { error: 'rate_limited', message: /counts as 3 requests and 2 are left/ })
})

t.test('Redis unreachable: requests are let through, not refused', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 1)
  const app = await testApp(t, { BUS: 'redis', REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, RATE_LIMIT_MAX: 1 }, { store })
  for (let i = 0; i < 3; i++) t.equal((await app.inject('/api/v1/symbols')).statusCode, 200, `request ${i + 1}`)
})
