// GET /api/v1/export: formats, roll-ups, range edges, validation, file names, the import round
// trip, rate-limit charging and the concurrency limits.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { join } from 'node:path'
import t from 'tap'
import { DuckDBInstance } from '@duckdb/node-api'
import type { FastifyInstance } from 'fastify'
import type { CandleTuple } from '../../src/domain/candle.js'
import { bucketCloseTime, type Interval } from '../../src/domain/intervals.js'
import { CSV_COLUMNS, plainNumber } from '../../src/export/export-format.js'
import { ExportGate } from '../../src/export/export-gate.js'
import { importArchives } from '../../src/ingest/archive/archive-import.js'
import type { DuckDbCandleStore } from '../../src/store/duckdb/duckdb-candle-store.js'
import { DAY, MIN, T0, json, memoryStore, seededStore, tempDir, testApp, tmpdirEnv } from '../helpers.js'

const HOUR = 60 * MIN
const silent = { info () {}, warn () {}, error () {}, debug () {} } as never

/** Every bar of a range through the paged REST read (getCandles), the reference for exports. */
async function allBars (store: DuckDbCandleStore, interval: Interval, from?: number, to?: number): Promise<CandleTuple[]> {
  const out: CandleTuple[] = []
  for await (const page of store.streamCandles({ symbol: 'BTCUSDT', interval, from, to }, 1000)) out.push(...page)
  return out
}

function csvRows (body: string): string[][] {
  return body.trimEnd().split('\n').map((l) => l.split(','))
}

async function readParquet (path: string): Promise<number[][]> {
  const db = await DuckDBInstance.create(':memory:')
  const con = await db.connect()
  try {
    const r = await con.runAndReadAll('SELECT open_time::DOUBLE, open, high, low, close, volume, close_time::DOUBLE FROM read_parquet($1)', [path])
    return r.getRows() as number[][]
  } finally {
    con.closeSync()
    db.closeSync()
  }
}

t.test('exports over 10 days of BTCUSDT 1m', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 10)
  const app = await testApp(t, {}, { store })
  const get = (qs: string) => app.inject(`/api/v1/export?${qs}`)
  const LAST = T0 + 10 * DAY - MIN

  t.test('CSV: Binance archive columns in order, every candle, no 5000 cap', async (t) => {
    const res = await get('symbol=btcusdt&interval=1m')
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'text/csv; charset=utf-8')
    t.equal(res.headers['content-disposition'], 'attachment; filename="BTCUSDT-1m-2024-01-01_2024-01-10T2359.csv"')
    const [header, ...rows] = csvRows(res.body)
    t.same(header, [...CSV_COLUMNS])
    t.same(header, ['open_time', 'open', 'high', 'low', 'close', 'volume', 'close_time', 'quote_volume', 'count', 'taker_buy_volume', 'taker_buy_quote_volume', 'ignore'])
    t.equal(rows.length, 14_400, 'ten days of minutes, far past HTTP_MAX_LIMIT')
    const bars = await allBars(store, '1m')
    t.same(rows.map((r) => r.slice(0, 6).map(Number)), bars, 'the values the candles read returns')
    t.same(rows[0], [String(T0), ...bars[0]!.slice(1).map(plainNumber), String(T0 + MIN - 1), '', '', '', '', '0'])
    t.ok(rows.every((r) => r.length === 12 && Number(r[6]) === Number(r[0]) + MIN - 1), '12 fields, close time one ms before the next open')
    t.equal(Number(rows.at(-1)![0]), LAST)
    const bare = await get('symbol=BTCUSDT&interval=1m&header=false&to=' + (T0 + 2 * MIN))
    t.same(csvRows(bare.body).map((r) => Number(r[0])), [T0, T0 + MIN, T0 + 2 * MIN], 'header=false: data lines only, like Binance spot archives')
  })

  t.test('NDJSON: one object per line with the same values', async (t) => {
    const res = await get(`symbol=BTCUSDT&interval=4h&format=ndjson&from=${T0 + DAY}&to=${T0 + 2 * DAY}`)
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'application/x-ndjson; charset=utf-8')
    t.equal(res.headers['content-disposition'], 'attachment; filename="BTCUSDT-4h-2024-01-02_2024-01-03.ndjson"')
    t.ok(res.body.endsWith('\n'))
    const lines = res.body.trimEnd().split('\n').map((l) => JSON.parse(l))
    t.same(Object.keys(lines[0]), ['open_time', 'open', 'high', 'low', 'close', 'volume', 'close_time'])
    const bars = await allBars(store, '4h', T0 + DAY, T0 + 2 * DAY)
    t.equal(lines.length, 7, 'six bars of the day and the bar opening at to')
    t.same(lines.map((l) => [l.open_time, l.open, l.high, l.low, l.close, l.volume]), bars)
    t.same(lines.map((l) => l.close_time), bars.map((b) => b[0] + 4 * HOUR - 1))
  })

  t.test('Parquet: readable by DuckDB with the same rows as NDJSON, temp files removed', async (t) => {
    const dir = tmpdirEnv(t)
    for (const interval of ['1m', '1h', '1w', '1M'] as const) {
      const res = await get(`symbol=BTCUSDT&interval=${interval}&format=parquet`)
      t.equal(res.statusCode, 200, interval)
      t.equal(res.headers['content-type'], 'application/vnd.apache.parquet')
      t.match(res.headers['content-disposition'], new RegExp(`filename="BTCUSDT-${interval === '1M' ? '1mo' : interval}-2024-01-.*\\.parquet"`))
      const file = join(dir, `out-${interval}.parquet`)
      writeFileSync(file, res.rawPayload)
      const rows = await readParquet(file)
      const nd = (await get(`symbol=BTCUSDT&interval=${interval}&format=ndjson`)).body.trimEnd().split('\n').map((l) => Object.values(JSON.parse(l)))
      t.same(rows, nd, `${interval}: ${rows.length} rows equal the NDJSON export`)
    }
    t.same(readdirSync(dir).filter((f) => f.startsWith('tv-export-')), [], 'no temp folder left behind')
  })

  t.test('roll-ups: every interval equals the candles route, 1M named 1mo', async (t) => {
    for (const interval of ['3m', '15m', '1h', '12h', '1d', '1w', '1M'] as const) {
      const body = csvRows((await get(`symbol=BTCUSDT&interval=${interval}&header=0`)).body)
      const candles = json((await app.inject(`/api/v1/candles?symbol=BTCUSDT&interval=${interval}&from=0&limit=5000`))).data as CandleTuple[]
      t.same(body.map((r) => r.slice(0, 6).map(Number)), candles, `${interval}: ${candles.length} bars`)
      t.same(body.map((r) => Number(r[6])), candles.map((c) => bucketCloseTime(interval, c[0])))
    }
    const month = await get('symbol=BTCUSDT&interval=1M')
    t.equal(month.headers['content-disposition'], 'attachment; filename="BTCUSDT-1mo-2024-01-01_2024-01-01.csv"')
    const week = await get('symbol=BTCUSDT&interval=1w')
    t.equal(week.headers['content-disposition'], 'attachment; filename="BTCUSDT-1w-2024-01-01_2024-01-08.csv"', 'weeks open on Monday')
  })

  t.test('range edges: inclusive bounds on open time, seconds or ms, partial bars, empty ranges', async (t) => {
    const ts = async (qs: string) => csvRows((await get(`symbol=BTCUSDT&header=false&${qs}`)).body).filter((r) => r[0] !== '').map((r) => Number(r[0]))
    t.same(await ts(`interval=1m&from=${T0 + 5 * MIN}&to=${T0 + 7 * MIN}`), [T0 + 5 * MIN, T0 + 6 * MIN, T0 + 7 * MIN], 'both bounds included')
    t.same(await ts(`interval=1m&from=${(T0 + 5 * MIN) / 1000}&to=${(T0 + 7 * MIN) / 1000}`), [T0 + 5 * MIN, T0 + 6 * MIN, T0 + 7 * MIN], 'epoch seconds')
    t.same(await ts('interval=1m&from=2024-01-01T00:05:00Z&to=2024-01-01T02:07:00%2B02:00'), [T0 + 5 * MIN, T0 + 6 * MIN, T0 + 7 * MIN], 'ISO-8601 times, with offsets')
    t.same(await ts('interval=1d&from=2024-01-03&to=2024-01-04'), [T0 + 2 * DAY, T0 + 3 * DAY], 'ISO dates')
    t.same(await ts(`interval=1h&from=${T0 + 30 * MIN}&to=${T0 + 3 * HOUR + 59 * MIN}`), [T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR], 'from inside a bar starts at the next; to inside a bar keeps it')
    t.same(await ts(`interval=1m&from=${LAST - MIN}&to=${LAST + DAY}`), [LAST - MIN, LAST], 'to past the data ends at the last stored bar')
    t.same(await ts(`interval=1m&to=${T0 + MIN}`), [T0, T0 + MIN], 'from defaults to the first stored bar')
    const empty = await get(`symbol=BTCUSDT&interval=1m&from=${LAST + DAY}&to=${LAST + 2 * DAY}`)
    t.equal(empty.statusCode, 200)
    t.equal(empty.body, `${CSV_COLUMNS.join(',')}\n`, 'an empty range: the header only')
    t.equal(empty.headers['content-disposition'], 'attachment; filename="BTCUSDT-1m-2024-01-11T2359_2024-01-12T2359.csv"', 'named after the bounds asked for')
    const emptyParquet = await get(`symbol=BTCUSDT&interval=1h&format=parquet&from=${LAST + DAY}`)
    t.equal(emptyParquet.statusCode, 200)
    const dir = tempDir(t)
    writeFileSync(join(dir, 'empty.parquet'), emptyParquet.rawPayload)
    t.same(await readParquet(join(dir, 'empty.parquet')), [], 'an empty Parquet file with the columns')
  })

  t.test('validation: 400 naming the parameter, 404 for an unknown symbol, HEAD refused', async (t) => {
    const cases: Array<[string, number, string, RegExp]> = [
      ['interval=1m', 400, 'symbol_required', /symbol is required/],
      ['symbol=BTC-USDT&interval=1m', 400, 'symbol_invalid', /symbol "BTC-USDT"/],
      ['symbol=BTCUSDT', 400, 'interval_invalid', /interval is required/],
      ['symbol=BTCUSDT&interval=7m', 400, 'interval_invalid', /interval "7m" is not a valid interval/],
      ['symbol=BTCUSDT&interval=1m&format=xlsx', 400, 'invalid_parameter', /format must be one of: csv, ndjson, parquet/],
      ['symbol=BTCUSDT&interval=1m&from=abc', 400, 'time_range_invalid', /from must be epoch seconds or milliseconds .* \(got "abc"\)/],
      ['symbol=BTCUSDT&interval=1m&to=-5', 400, 'time_range_invalid', /to must be epoch seconds/],
      ['symbol=BTCUSDT&interval=1m&to=99999-01-01', 400, 'time_range_invalid', /to must be epoch seconds/],
      ['symbol=BTCUSDT&interval=1m&from=300000000000000', 400, 'time_range_invalid', /from is outside the supported range/],
      [`symbol=BTCUSDT&interval=1m&from=${T0 + DAY}&to=${T0}`, 400, 'time_range_invalid', /from \(\d+\) is after to/],
      ['symbol=BTCUSDT&interval=1m&header=maybe', 400, 'invalid_parameter', /header must be true or false/],
      ['symbol=DOGEUSDT&interval=1m', 404, 'symbol_not_found', /DOGEUSDT is not stored/]
    ]
    for (const [qs, status, error, message] of cases) {
      const res = await get(qs)
      t.equal(res.statusCode, status, qs)
      t.match(json(res), { error, message }, qs)
    }
    t.equal((await app.inject({ method: 'HEAD', url: '/api/v1/export?symbol=BTCUSDT&interval=1m' })).statusCode, 405)
  })

  t.test('OpenAPI lists the route with its three body types', async (t) => {
    const doc = json(await app.inject('/openapi.json'))
    const op = doc.paths['/api/v1/export'].get
    t.same(op.parameters.map((p: { name: string }) => p.name).sort(), ['format', 'from', 'header', 'interval', 'symbol', 'to'])
    t.same(Object.keys(op.responses['200'].content).sort(), ['application/vnd.apache.parquet', 'application/x-ndjson', 'text/csv'])
    t.equal(op.responses['200'].content['application/vnd.apache.parquet'].schema.format, 'binary')
    t.ok(op.responses['200'].headers['content-disposition'])
    t.same(Object.keys(op.responses).sort(), ['200', '400', '404', '429', '501', '503'])
  })

  t.test('round trip: an export saved under its own name imports back unchanged', async (t) => {
    const dir = tempDir(t)
    for (const [interval, qs] of [['1m', `from=${T0 + 3 * DAY}&to=${T0 + 4 * DAY - MIN}`], ['1h', ''], ['1M', '']] as const) {
      const res = await get(`symbol=BTCUSDT&interval=${interval}&${qs}`)
      const name = /filename="([^"]+)"/.exec(res.headers['content-disposition'] as string)![1]!
      mkdirSync(join(dir, interval))
      const path = join(dir, interval, name)
      writeFileSync(path, res.body)
      const target = await memoryStore(t)
      const report = await importArchives([path], { store: target, log: silent })
      const bars = await allBars(store, interval, qs === '' ? undefined : T0 + 3 * DAY, qs === '' ? undefined : T0 + 4 * DAY - MIN)
      t.match(report, { read: bars.length, stored: bars.length, rejected: 0 }, `${name}: every line stored, the header skipped`)
      t.equal(report.files[0]!.interval, interval)
      t.same(await target.getCandles({ symbol: 'BTCUSDT', interval, from: 0, limit: 5000 }), bars, `${interval}: the imported candles equal the exported ones`)
    }
  })
})

t.test('plainNumber writes Binance-style decimals, never exponents', async (t) => {
  t.equal(plainNumber(1.2e-7), '0.00000012')
  t.equal(plainNumber(-4.5e-8), '-0.000000045')
  t.equal(plainNumber(1e21), '1000000000000000000000')
  t.equal(plainNumber(1.5e22), '15000000000000000000000')
  t.equal(plainNumber(56924.29), '56924.29')
  t.equal(plainNumber(0), '0')
  for (const n of [1.2e-7, 3.3333e-9, 123456.000001, 1.7976931348623157e308]) t.equal(Number(plainNumber(n)), n, `${n} round-trips`)
})

t.test('rate limit: an export is charged one request per EXPORT_CANDLES_PER_REQUEST candles', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 3)
  const app = await testApp(t, { RATE_LIMIT_MAX: 10, RATE_LIMIT_WINDOW_MS: 60_000, EXPORT_CANDLES_PER_REQUEST: 1000 }, { store })
  const get = (qs: string) => app.inject(`/api/v1/export?symbol=BTCUSDT&${qs}`)
  let res = await get(`interval=1m&to=${T0 + 2000 * MIN - 1}`)
  t.equal(res.statusCode, 200)
  t.equal(res.body.trimEnd().split('\n').length, 2001, '2000 candles and the header')
  t.equal(res.headers['x-ratelimit-remaining'], '8', '2000 candles cost 2 requests')
  res = await app.inject('/api/v1/symbols')
  t.equal(res.headers['x-ratelimit-remaining'], '7', 'the charge is the one budget every route shares')
  res = await get('interval=1h&format=ndjson')
  t.equal(res.statusCode, 200)
  t.equal(res.headers['x-ratelimit-remaining'], '6', 'a roll-up is charged by the bars it holds (72 hours: 1)')
})

t.test('rate limit: too large for the whole budget, more than what is left, and the Retry-After', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 3)
  const app = await testApp(t, { RATE_LIMIT_MAX: 6, RATE_LIMIT_WINDOW_MS: 60_000, EXPORT_CANDLES_PER_REQUEST: 500 }, { store })
  const get = (qs: string) => app.inject(`/api/v1/export?symbol=BTCUSDT&${qs}`)
  let res = await get('interval=1m')
  t.equal(res.statusCode, 400)
  t.match(json(res), { error: 'export_too_large', message: /from\/to span 4320 1m candles, more than the 3000 one export may hold/ })
  res = await get(`interval=1m&to=${T0 + 2000 * MIN - 1}`)
  t.equal(res.statusCode, 200, '2000 candles: 4 of the 5 requests left')
  t.equal(res.headers['x-ratelimit-remaining'], '1')
  res = await get(`interval=1m&to=${T0 + 1500 * MIN - 1}`)
  t.equal(res.statusCode, 429, '3 requests, more than the 1 left')
  t.match(json(res), { error: 'rate_limited', message: /counts as 3 requests and 1 are left/ })
  t.ok(Number(res.headers['retry-after']) > 0, 'Retry-After')
  res = await get(`interval=1m&to=${T0 + 10 * MIN}`)
  t.equal(res.statusCode, 429, 'the budget is spent: even a small export waits for the window')
})

/** GET over a real socket; resolves with the response once its headers arrive. */
function open (port: number, path: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers }, resolve)
    req.on('error', reject)
    req.end()
  })
}

async function drain (res: IncomingMessage): Promise<string> {
  let body = ''
  for await (const chunk of res) body += String(chunk)
  return body
}

t.test('concurrency: one export per client, EXPORT_MAX_CONCURRENT across the service', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 60)
  const app: FastifyInstance = await testApp(t, { EXPORT_MAX_CONCURRENT: 1, TRUST_PROXY: 'true' }, { store })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  const path = '/api/v1/export?symbol=BTCUSDT&interval=1m'
  // 86,400 candles (~7 MB) that this client does not read: the export stays open.
  const slow = await open(port, path)
  t.equal(slow.statusCode, 200)
  slow.pause()
  const same = await open(port, path)
  t.equal(same.statusCode, 429)
  t.match(JSON.parse(await drain(same)), { error: 'export_in_progress' })
  const other = await open(port, path, { 'x-forwarded-for': '203.0.113.7' })
  t.equal(other.statusCode, 503, 'another client: the service-wide limit')
  t.equal(other.headers['retry-after'], '5')
  t.match(JSON.parse(await drain(other)), { error: 'exports_busy' })
  // The client going away frees its slot.
  const closed = new Promise((resolve) => slow.once('close', resolve))
  slow.destroy()
  await closed
  let next: IncomingMessage | undefined
  for (let i = 0; i < 200; i++) {
    next = await open(port, `${path}&to=${T0 + MIN}`, { 'x-forwarded-for': '203.0.113.7' })
    if (next.statusCode === 200) break
    await drain(next)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  t.equal(next!.statusCode, 200, 'the slot is free once the first download is gone')
  t.equal((await drain(next!)).trimEnd().split('\n').length, 3)
})

t.test('a client leaving during a Parquet export: the write stops and its temp folder goes', async (t) => {
  const dir = tmpdirEnv(t)
  const store = await seededStore(t, ['BTCUSDT'], 60)
  const app: FastifyInstance = await testApp(t, { EXPORT_MAX_CONCURRENT: 1 }, { store })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  const req = httpRequest({ host: '127.0.0.1', port, path: '/api/v1/export?symbol=BTCUSDT&interval=5m&format=parquet' })
  req.on('error', () => {})
  req.end()
  // Gone as soon as the request is out, while DuckDB sorts and writes.
  await new Promise((resolve) => req.once('finish', resolve))
  req.destroy()
  let next: IncomingMessage | undefined
  for (let i = 0; i < 400; i++) {
    next = await open(port, '/api/v1/export?symbol=BTCUSDT&interval=1d&format=parquet')
    await drain(next)
    if (next.statusCode === 200 && readdirSync(dir).length === 0) break
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  t.equal(next!.statusCode, 200, 'the slot is free again')
  t.same(readdirSync(dir), [], 'no temp folder or partial file left behind')
})

t.test('ExportGate: per client and total, release is idempotent', async (t) => {
  const gate = new ExportGate(2)
  const a = gate.acquire('a')
  t.type(a, 'function')
  t.equal(gate.acquire('a'), 'client_busy')
  const b = gate.acquire('b')
  t.equal(gate.acquire('c'), 'service_busy')
  ;(a as () => void)()
  ;(a as () => void)()
  t.equal(gate.active, 1, 'a second release changes nothing')
  t.type(gate.acquire('c'), 'function')
  ;(b as () => void)()
})
