// ROLE picks what a process runs and serves: `ingest` answers only health, readiness, metrics
// and stats; `api` serves every client route and never builds an exchange client or ingestor.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Exchange } from '../src/exchange/exchange.js'
import type { Settings } from '../src/settings/schema.js'
import { closedPort } from './cli-process.js'
import { json, seededStore, testApp, type Teardown } from './helpers.js'

const OPERATIONAL = ['/healthz', '/api/healthz', '/readyz', '/metrics', '/stats']
const CLIENT = [
  '/', '/chart/chart.js', '/docs', '/openapi.json', '/version', '/api/v1/symbols', '/api/v1/intervals',
  '/api/v1/symbols/BTCUSDT/intervals', '/api/v1/candles?symbol=BTCUSDT&interval=1m',
  '/api/v1/export?symbol=BTCUSDT&interval=1h&from=2024-01-01&to=2024-01-02',
  '/api/v1/indicators?symbol=BTCUSDT&interval=1m&indicator=sma&period=5', '/udf/config', '/udf/time', '/ws'
]

/** An exchange that records every property read of it: nothing may even look at it. */
function untouchableExchange (): { exchange: Exchange, touched: string[] } {
  const touched: string[] = []
  const exchange = new Proxy({}, {
    get: (_target, prop) => {
      touched.push(String(prop))
      return undefined
    }
  }) as Exchange
  return { exchange, touched }
}

/** An app of `role` on a store and bus it may share; the bus's Redis is not there (nothing needs it here). */
async function roleApp (t: Teardown, role: Settings['ROLE'], exchange?: Exchange, extra: Partial<Settings> = {}): Promise<FastifyInstance> {
  const store = await seededStore(t, ['BTCUSDT'], 1)
  const redis = `redis://127.0.0.1:${await closedPort()}`
  return await testApp(t, {
    ROLE: role, STORAGE: 'postgres', DATABASE_URL: 'postgres://127.0.0.1/unused', BUS: 'redis', REDIS_URL: redis, ...extra
  }, { store, ingest: exchange === undefined ? undefined : { exchange } })
}

const status = async (app: FastifyInstance, url: string) => (await app.inject({ url })).statusCode

t.test('ROLE=ingest serves health, readiness, metrics and stats; every other route is unknown', async (t) => {
  const app = await roleApp(t, 'ingest', undefined, { LIVE: false })
  for (const url of OPERATIONAL) t.not(await status(app, url), 404, url)
  for (const url of CLIENT) {
    const res = await app.inject({ url })
    t.equal(res.statusCode, 404, url)
    t.same(json(res), { error: 'not_found', message: `no route for GET ${url.split('?')[0]}` }, `${url}: unknown, not refused`)
  }
  t.equal(json(await app.inject({ url: '/healthz' })).role, 'ingest')
  t.equal(json(await app.inject({ url: '/stats' })).role, 'ingest')
})

t.test('ROLE=api serves every client route and never builds an exchange client or ingestor', async (t) => {
  const { exchange, touched } = untouchableExchange()
  const app = await roleApp(t, 'api', exchange, { LIVE: true, LIVE_SYMBOLS: ['BTCUSDT'] })
  for (const url of [...OPERATIONAL, ...CLIENT]) t.not(await status(app, url), 404, url)
  const health = json(await app.inject({ url: '/healthz' }))
  t.equal(health.role, 'api')
  t.equal(health.live.enabled, false, 'no ingestion, whatever LIVE says')
  t.same(touched, [], 'the exchange was never even looked at')
  t.equal(json(await app.inject({ url: '/stats' })).role, 'api')
})

t.test('ROLE=all (the default) serves both sets, as one process always did', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 1)
  const app = await testApp(t, {}, { store })
  for (const url of [...OPERATIONAL, ...CLIENT]) t.not(await status(app, url), 404, url)
  t.equal(json(await app.inject({ url: '/healthz' })).role, 'all')
  const stats = json(await app.inject({ url: '/stats' }))
  t.equal(stats.role, 'all')
  t.match(stats.bus, { kind: 'local', connected: true, published_total: 0 })
})
