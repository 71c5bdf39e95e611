import t from 'tap'
import { INTERVALS } from '../../src/domain/intervals.js'
import { DAY, MIN, T0, json, seededStore, testApp } from '../helpers.js'
import { waitFor } from '../ingest/ingest-helpers.js'

t.test('health, readiness, version and stats', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 1)
  const app = await testApp(t, { THREADS: 2 }, { store })
  // As if started 326.1 s ago: the front end formats uptimeSec as given, so it must be whole seconds.
  app.startedAt = Date.now() - 326_100

  for (const url of ['/healthz', '/api/healthz']) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 200, url)
    const body = json(res)
    t.equal(body.status, 'ok')
    t.equal(body.duckdb, 'ready', 'the front end upper-cases this field')
    t.ok(Number.isInteger(body.uptimeSec) && body.uptimeSec >= 326, `uptimeSec ${body.uptimeSec} is a whole number of seconds`)
    t.same(body.live, { enabled: false, ws_state: 0, last_msg_age_ms: null, symbols: {} })
  }
  t.same(json(await app.inject('/readyz')), { status: 'ready' })

  const version = json(await app.inject('/version'))
  t.equal(version.name, 'trading-viewer-api')
  t.match(version.version, /^\d+\.\d+\.\d+/)
  t.equal(version.node, process.version)
  t.match(version.duckdb, /^DuckDB v1\.5\./)

  await app.inject('/api/v1/candles?symbol=BTCUSDT&interval=1m&limit=10')
  await app.inject('/api/v1/candles?symbol=BTCUSDT&interval=1m&limit=10')
  await app.inject('/api/v1/symbols/BTCUSDT/intervals')
  // Route timings are recorded once each response has finished (onResponse): wait for the last one.
  await waitFor(() => {
    const routes = app.routeLatency.snapshot()
    return routes['GET /api/v1/candles']?.requests === 2 && routes['GET /api/v1/symbols/:symbol/intervals']?.requests === 1
  }, 30_000, 'the timings')
  const stats = json(await app.inject('/stats'))
  for (const key of ['uptime_seconds', 'threads', 'backend_active', 'reconnect_attempts_total', 'rest_catchup_candles_total', 'ws_state', 'last_msg_age_ms', 'routes']) {
    t.ok(key in stats, `stats has the original service's ${key}`)
  }
  t.equal(stats.threads, 2, 'threads is the configured DuckDB thread count')
  t.equal(stats.backend_active, true)
  t.equal(stats.routes['GET /api/v1/candles'].requests, 2)
  t.type(stats.routes['GET /api/v1/candles'].p95_ms, 'number')
  t.type(stats.routes['GET /api/v1/candles'].p99_ms, 'number')
  t.equal(stats.routes['GET /api/v1/symbols/:symbol/intervals'].requests, 1, 'parametric routes are keyed by pattern')
  t.match(stats.cache, { entries: 1, hits: 1, misses: 1, max_bytes: 33_554_432 })
  // A small body occupies one of the cache's 4 KiB blocks, plus its key and bookkeeping.
  t.ok(stats.cache.bytes > 4096 && stats.cache.bytes < 2 * 4096, `the one body counts ${stats.cache.bytes as number} bytes`)
})

t.test('a store that never answers (a database cut off by the network) does not hang health, readiness or stats', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 1)
  store.ping = async () => await new Promise<void>(() => {})
  const app = await testApp(t, {}, { store })
  const [health, ready, stats] = await Promise.all(['/healthz', '/readyz', '/stats'].map((url) => app.inject(url)))
  t.equal(health!.statusCode, 503)
  t.match(json(health!), { status: 'error', duckdb: 'error', details: [{ issue: 'duckdb_unavailable' }] })
  t.equal(ready!.statusCode, 503)
  t.match(json(ready!), { status: 'not_ready', reason: 'the candle store does not answer' })
  t.equal(stats!.statusCode, 200)
  t.match(json(stats!), { backend_active: false })
})

t.test('symbols and intervals', async (t) => {
  const store = await seededStore(t, ['BTCUSDT', 'ETHBTC'], 2)
  const app = await testApp(t, {}, { store })

  t.same(json(await app.inject('/api/v1/symbols')), {
    symbols: [
      { symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', status: 'inactive' },
      { symbol: 'ETHBTC', base: 'ETH', quote: 'BTC', status: 'inactive' }
    ]
  })
  t.same(json(await app.inject('/api/v1/symbols?q=eth')).symbols.map((s: any) => s.symbol), ['ETHBTC'])
  t.same(json(await app.inject('/api/v1/symbols?active=true')).symbols, [])

  const plain = json(await app.inject('/api/v1/intervals?symbol=btcusdt'))
  t.same(plain, { symbol: 'BTCUSDT', intervals: [...INTERVALS] })
  t.same(json(await app.inject('/api/v1/symbols/BTCUSDT/intervals')), plain, 'path form equals query form')

  for (const flag of ['include_ranges=true', 'includeRanges=true', 'include_ranges=1', 'includeRanges=yes']) {
    const body = json(await app.inject(`/api/v1/intervals?symbol=BTCUSDT&${flag}`))
    const oneMinute = body.intervals.find((i: any) => i.name === '1m')
    t.same(oneMinute, { name: '1m', from: T0, to: T0 + 2 * DAY - MIN }, `${flag}: 1m range matches the data`)
    t.same(body.intervals.find((i: any) => i.name === '1d'), { name: '1d', from: T0, to: T0 + DAY })
    t.same(body.intervals.find((i: any) => i.name === '1h'), { name: '1h', from: T0, to: T0 + 2 * DAY - 60 * MIN })
  }
  const ranged = json(await app.inject('/api/v1/symbols/ethbtc/intervals?include_ranges=true'))
  t.equal(ranged.symbol, 'ETHBTC')
  t.equal(ranged.intervals.length, 14)
  // The ranges must agree with what the candles route serves.
  const first = json(await app.inject('/api/v1/candles?symbol=ETHBTC&interval=4h&from=0&limit=1')).data[0][0]
  const last = json(await app.inject('/api/v1/candles?symbol=ETHBTC&interval=4h&limit=1')).data[0][0]
  t.same(ranged.intervals.find((i: any) => i.name === '4h'), { name: '4h', from: first, to: last })

  const missing = await app.inject('/api/v1/intervals')
  t.equal(missing.statusCode, 400)
  t.equal(json(missing).error, 'symbol_required')
  t.equal((await app.inject('/api/v1/intervals?symbol=NOPEUSDT')).statusCode, 404)
  t.equal((await app.inject('/api/v1/symbols/NOPEUSDT/intervals')).statusCode, 404)
  t.equal(json(await app.inject('/api/v1/intervals?symbol=BTCUSDT&include_ranges=maybe')).error, 'invalid_parameter')
})

t.test('unknown routes are 404 and wrong methods 405, always as {error, message}', async (t) => {
  const app = await testApp(t)
  const notFound = await app.inject('/api/v2/candles')
  t.equal(notFound.statusCode, 404)
  t.same(Object.keys(json(notFound)), ['error', 'message'])
  t.equal(json(notFound).error, 'not_found')

  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'] as const) {
    const res = await app.inject({ method, url: '/api/v1/candles?symbol=BTCUSDT' })
    t.equal(res.statusCode, 405, `${method} /api/v1/candles`)
    t.equal(json(res).error, 'method_not_allowed')
    t.match(res.headers.allow, /GET/)
  }
  t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/symbols/BTCUSDT/intervals' })).statusCode, 405, 'parametric paths too')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/symbols/BTCUSDT/nope' })).statusCode, 404)
  const head = await app.inject({ method: 'HEAD', url: '/healthz' })
  t.equal(head.statusCode, 200, 'HEAD is served for every GET route')
  const bigBody = await app.inject({ method: 'POST', url: '/healthz', payload: 'x'.repeat(10_000), headers: { 'content-type': 'text/plain' } })
  t.ok(bigBody.statusCode >= 400 && bigBody.statusCode < 500)
  t.same(Object.keys(json(bigBody)), ['error', 'message'])
})
