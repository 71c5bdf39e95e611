import { spawnSync } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import SwaggerParser from '@apidevtools/swagger-parser'
import t from 'tap'
import WebSocket from 'ws'
import { INTERVALS } from '../src/domain/intervals.js'
import { minuteCandles } from '../src/exchange/simulator/price-model.js'
import { DuckDbCandleStore } from '../src/store/duckdb/duckdb-candle-store.js'
import { restoreDatabase } from '../src/store/duckdb/backup-restore.js'
import { applyRetention } from '../src/store/retention.js'
import { DAY, MIN, T0, json, seededStore, tempDir, testApp } from './helpers.js'
import { waitFor } from './ingest/ingest-helpers.js'

/** Samples of a Prometheus text exposition, keyed by `name{labels}`; throws on a malformed line. */
function parsePrometheus (text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue
    // Prometheus parses NaN and Inf case-insensitively (prom-client prints "Nan").
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.eE+-]+|nan|[+-]inf)$/i.exec(line)
    if (m === null) throw new Error(`not Prometheus text: ${line}`)
    samples.set(m[1]!, Number(m[2]))
  }
  return samples
}

t.test('/metrics is Prometheus text and moves with traffic and writes', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 1)
  const app = await testApp(t, {}, { store })
  const scrape = async () => {
    const res = await app.inject('/metrics')
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
    return parsePrometheus(res.body)
  }
  const key = 'tvapi_http_request_duration_seconds_count{method="GET",route="/api/v1/candles",status_code="200"}'
  const before = await scrape()
  for (let i = 0; i < 3; i++) await app.inject('/api/v1/candles?symbol=BTCUSDT&interval=1m&limit=5')
  await app.inject('/api/v1/candles?symbol=BTCUSDT&interval=7m')
  // Requests are observed in onResponse, which may run after inject() has resolved: wait for the
  // fourth (the hook records the route timing and the histogram together).
  await waitFor(() => app.routeLatency.snapshot()['GET /api/v1/candles']?.requests === 4, 30_000, 'the four requests to be recorded')
  const after = await scrape()
  t.equal((after.get(key) ?? 0) - (before.get(key) ?? 0), 3, 'request count by route and status')
  t.equal(after.get('tvapi_http_request_duration_seconds_count{method="GET",route="/api/v1/candles",status_code="400"}'), 1)
  t.ok(after.has('tvapi_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/candles",status_code="200"}'), 'histogram buckets')
  for (const name of ['process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds', 'tvapi_ws_clients', 'tvapi_ws_messages_sent_total',
    'tvapi_ingest_ws_state', 'tvapi_ingest_rest_catchup_candles_total', 'tvapi_candle_cache_hits_total']) {
    t.ok(after.has(name), name)
  }
  t.equal(after.get('tvapi_candle_cache_hits_total'), 2)
  const rowsBefore = after.get('tvapi_duckdb_write_rows_total') ?? 0
  await store.upsertBatch(minuteCandles('BTCUSDT', T0 + DAY, T0 + DAY + 10 * MIN))
  const written = await scrape()
  t.equal(written.get('tvapi_duckdb_write_rows_total')! - rowsBefore, 10, 'DuckDB rows written')
  t.ok(written.get('tvapi_duckdb_write_batch_duration_seconds_count')! >= 1, 'write batch durations')
})

t.test('/openapi.json is a valid OpenAPI 3 document describing every route, parameter, alias and error', async (t) => {
  const app = await testApp(t)
  const doc = json(await app.inject('/openapi.json'))
  t.equal(doc.openapi, '3.0.3')
  await t.resolves(SwaggerParser.validate(structuredClone(doc)), 'validates')
  t.same(Object.keys(doc.paths).sort(), [
    '/', '/api/healthz', '/api/v1/candles', '/api/v1/export', '/api/v1/indicators', '/api/v1/intervals', '/api/v1/symbols', '/api/v1/symbols/{symbol}/intervals',
    '/chart/chart.css', '/chart/chart.js', '/chart/lightweight-charts.mjs', '/healthz', '/metrics', '/readyz', '/stats',
    '/udf/config', '/udf/history', '/udf/quotes', '/udf/search', '/udf/symbols', '/udf/time',
    '/version', '/ws'
  ])
  const candles = doc.paths['/api/v1/candles'].get
  const params = candles.parameters.map((p: { name: string }) => p.name).sort()
  t.same(params, ['count', 'end', 'endTime', 'from', 'fromTs', 'interval', 'limit', 'max', 'pair', 'resolution', 'start', 'startTime', 'symbol', 'tf', 'ticker', 'to', 'toTs'].sort())
  t.ok(candles.parameters.every((p: { description?: string }) => typeof p.description === 'string' && p.description.length > 0), 'every parameter is described')
  for (const path of ['/api/v1/candles', '/api/v1/indicators']) {
    const parameters: Array<{ name: string, required?: boolean, schema: { enum?: string[] } }> = doc.paths[path].get.parameters
    t.same(parameters.filter((p) => p.required === true).map((p) => p.name), ['symbol', 'interval'], `${path}: symbol and interval are required (the aliases fold into them)`)
    t.same(parameters.find((p) => p.name === 'interval')?.schema.enum, [...INTERVALS], `${path}: interval is one of the intervals`)
  }
  t.same(Object.keys(candles.responses).sort(), ['200', '400', '404', '503'])
  t.same(Object.keys(candles.responses['400'].content['application/json'].schema.properties), ['error', 'message'])
  t.ok(Object.values(doc.paths).every((p: any) => typeof p.get.summary === 'string' && p.get.tags.length > 0), 'every route has a summary and a tag')
  const docs = await app.inject('/docs/')
  t.equal(docs.statusCode, 200)
  t.match(docs.headers['content-type'], /text\/html/)
})

t.test('rate limiting: a burst gets 429 with Retry-After while health and metrics stay up', async (t) => {
  const app = await testApp(t, { RATE_LIMIT_MAX: 5, RATE_LIMIT_WINDOW_MS: 60_000, TRUST_PROXY: 'true' })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const statuses: number[] = []
  let limited: Response | undefined
  for (let i = 0; i < 7; i++) {
    const res = await fetch(`${base}/api/v1/symbols`)
    statuses.push(res.status)
    if (res.status === 429) limited = res
  }
  t.same(statuses, [200, 200, 200, 200, 200, 429, 429])
  t.ok(Number(limited!.headers.get('retry-after')) > 0, 'Retry-After')
  t.equal(limited!.headers.get('x-ratelimit-limit'), '5')
  t.equal(limited!.headers.get('x-ratelimit-remaining'), '0')
  t.ok(limited!.headers.has('x-ratelimit-reset'))
  t.match(await limited!.json(), { error: 'rate_limited', message: /more than 5 requests/ })
  for (const path of ['/healthz', '/api/healthz', '/readyz', '/metrics', '/stats']) {
    t.equal((await fetch(`${base}${path}`)).status, 200, `${path} is exempt`)
  }
  const other = await fetch(`${base}/api/v1/symbols`, { headers: { 'x-forwarded-for': '203.0.113.9' } })
  t.equal(other.status, 200, 'with TRUST_PROXY, another client behind the proxy has its own budget')
  const upgrade = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`)
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!))
    ws.on('open', () => { ws.close(); resolve(101) })
    ws.on('error', () => {})
  })
  t.equal(upgrade, 429, 'WebSocket upgrades are rate limited too')
})

t.test('overload: 503 with Retry-After while the event loop lags; /readyz says so, /healthz answers', async (t) => {
  const app = await testApp(t, { MAX_EVENT_LOOP_DELAY_MS: 40 })
  const block = (ms: number) => { const end = Date.now() + ms; while (Date.now() < end) { /* saturate the event loop */ } }
  let res
  for (let attempt = 0; attempt < 20 && !app.isUnderPressure(); attempt++) {
    block(300)
    await new Promise((resolve) => setTimeout(resolve, 15))
  }
  t.ok(app.isUnderPressure(), 'the lag was measured')
  res = await app.inject('/api/v1/symbols')
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '5')
  t.match(json(res), { error: 'service_unavailable', message: /overloaded/ })
  res = await app.inject('/readyz')
  t.equal(res.statusCode, 503)
  t.match(json(res), { status: 'not_ready', reason: /overloaded/ })
  t.equal((await app.inject('/healthz')).statusCode, 200, 'liveness is not load-shed')
  await waitFor(() => !app.isUnderPressure(), 30_000, 'recovery')
  t.equal((await app.inject('/api/v1/symbols')).statusCode, 200, 'recovers when the lag is gone')
})

t.test('hardening: security headers and a small body limit', async (t) => {
  const app = await testApp(t)
  const res = await app.inject('/api/v1/symbols')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.equal(res.headers['x-frame-options'], 'DENY')
  t.equal(res.headers['referrer-policy'], 'no-referrer')
  t.match(res.headers['content-security-policy'], /default-src 'none'/)
  t.match(res.headers['strict-transport-security'], /max-age=/)
  const big = await app.inject({ method: 'POST', url: '/api/v1/candles', payload: { x: 'y'.repeat(100_000) } })
  t.ok([405, 413].includes(big.statusCode), `oversized body refused (${big.statusCode})`)
})

t.test('backup restores into a fresh database with identical rows', async (t) => {
  const dir = tempDir(t)
  const src = join(dir, 'src.duckdb')
  const store = await DuckDbCandleStore.open({ path: src })
  await store.upsertBatch([...minuteCandles('BTCUSDT', T0, T0 + 2 * DAY), ...minuteCandles('ETHUSDT', T0, T0 + DAY)])
  await store.upsertBatch([{ symbol: 'BTCUSDT', interval: '1d', ts: T0, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 }])
  const dump = async (s: DuckDbCandleStore) => {
    const out: unknown[] = []
    for (const symbol of s.listSymbols()) {
      for (const r of await s.intervalRanges(symbol)) {
        if (r.native) out.push(symbol, r.interval, await s.getCandles({ symbol, interval: r.interval, from: 0, limit: 100_000 }))
      }
    }
    return out
  }
  const expected = await dump(store)
  await store.backup(join(dir, 'backup'))
  await store.close()
  await restoreDatabase(join(dir, 'restored.duckdb'), join(dir, 'backup'))
  const restored = await DuckDbCandleStore.open({ path: join(dir, 'restored.duckdb') })
  t.teardown(() => restored.close())
  t.same(await dump(restored), expected, 'every row identical')
  await t.rejects(restoreDatabase(join(dir, 'restored.duckdb'), join(dir, 'backup')), /already exists/, 'never overwrites')

  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts', ...args], { encoding: 'utf8', timeout: 60_000 })
  const b = cli('backup', '--duckdb', src, '--out', join(dir, 'cli-backup'))
  t.equal(b.status, 0, b.stderr)
  const r = cli('restore', '--from', join(dir, 'cli-backup'), '--duckdb', join(dir, 'cli.duckdb'))
  t.equal(r.status, 0, r.stderr)
  t.match(r.stdout, /restored .* \(2 symbols\)/)
  t.equal(cli('backup', '--duckdb', src, '--out', join(dir, 'cli-backup')).status, 2, 'a non-empty target is refused')
})

t.test('retention deletes exactly the rows older than the cutoff', async (t) => {
  const store = await seededStore(t, ['BTCUSDT', 'ETHUSDT'], 5)
  await store.upsertBatch([0, 1, 2, 3, 4].map((d) => ({ symbol: 'BTCUSDT', interval: '1d' as const, ts: T0 + d * DAY, open: 1, high: 2, low: 0.5, close: 1.5, volume: 1 })))
  const now = T0 + 5 * DAY + 7 * MIN
  const r = await applyRetention(store, { '1m': 2 }, now)
  const cutoff = now - 2 * DAY
  t.equal(r.cutoffs['1m'], cutoff)
  const expectedDeleted = 2 * Math.ceil((cutoff - T0) / MIN)
  t.equal(r.deleted, expectedDeleted, `${expectedDeleted} rows deleted`)
  for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
    t.same(store.storedRange(symbol, '1m'), { first: Math.ceil(cutoff / MIN) * MIN, last: T0 + 5 * DAY - MIN }, `${symbol}: the first row kept is the first at or after the cutoff`)
  }
  t.equal((await store.intervalRanges('BTCUSDT')).find((x) => x.interval === '1d')!.count, 5, 'other intervals keep their own window')
  const all = await applyRetention(store, { '*': 3, '1m': 1 }, now)
  t.equal(all.deleted, 2 * 1440 + 3, '* covers the other intervals (three 1d rows), the 1m entry still wins for 1m (one more day)')
  t.same(store.storedRange('BTCUSDT', '1d'), { first: T0 + 3 * DAY, last: T0 + 4 * DAY })
})
