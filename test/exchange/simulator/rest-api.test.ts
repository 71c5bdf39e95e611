import t from 'tap'
import { RealClock } from '../../../src/exchange/simulator/clock.js'
import { intervalCandle } from '../../../src/exchange/simulator/price-model.js'
import { Market, groundTruth, klineEvent, klineRow, startSimulator, type KlineRow, type Simulator } from '../../../src/exchange/simulator/server.js'
import { bucketCloseTime, bucketStart, type Interval } from '../../../src/domain/intervals.js'
import type { Candle } from '../../../src/domain/candle.js'
import { MIN, T0, connector, getJson, silentLogger, startTestSim, type JsonResponse } from '../../simulator-helpers.js'

const NOW = T0 + 30_000

async function klines (sim: Simulator, params: Record<string, string | number>): Promise<JsonResponse<KlineRow[]>> {
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]))
  return await getJson(`${sim.restUrl}/api/v3/klines?${qs.toString()}`)
}

async function rows (sim: Simulator, params: Record<string, string | number>): Promise<KlineRow[]> {
  const res = await klines(sim, { symbol: 'BTCUSDT', interval: '1m', ...params })
  if (res.status !== 200) throw new Error(`klines failed: ${JSON.stringify(res.body)}`)
  return res.body
}

function toCandle (symbol: string, interval: Interval, r: KlineRow): Candle {
  return { symbol, interval, ts: r[0], open: Number(r[1]), high: Number(r[2]), low: Number(r[3]), close: Number(r[4]), volume: Number(r[5]) }
}

/** A decimal string with 8 places as an exact integer. */
function units (s: string): bigint {
  return BigInt(s.replace('.', ''))
}

const opens = (rs: KlineRow[]): number[] => rs.map(r => r[0])

t.test('ping, time, weight headers and microsecond time unit', async t => {
  const { sim, clock } = await startTestSim(t, {}, NOW)
  const ping = await getJson(`${sim.restUrl}/api/v3/ping`)
  t.equal(ping.status, 200)
  t.same(ping.body, {})
  t.equal(ping.headers.get('content-type'), 'application/json;charset=UTF-8')
  t.equal(ping.headers.get('x-mbx-used-weight-1m'), '1')
  t.equal(ping.headers.get('x-mbx-used-weight'), '1')
  const time = await getJson<{ serverTime: number }>(`${sim.restUrl}/api/v3/time`)
  t.same(time.body, { serverTime: clock.now() })
  t.equal(time.headers.get('x-mbx-used-weight-1m'), '2')
  const micro = await getJson<{ serverTime: number }>(`${sim.restUrl}/api/v3/time`, { headers: { 'X-MBX-TIME-UNIT': 'MICROSECOND' } })
  t.equal(micro.body.serverTime, clock.now() * 1000)
  const microRows = await getJson<KlineRow[]>(`${sim.restUrl}/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1&startTime=${T0 - MIN}`, { headers: { 'X-MBX-TIME-UNIT': 'MICROSECOND' } })
  t.equal(microRows.body[0]![0], (T0 - MIN) * 1000)
  t.equal(microRows.body[0]![6], T0 * 1000 - 1)
})

t.test('row format, default limit and agreement with the ground truth', async t => {
  const { sim } = await startTestSim(t, {}, NOW)
  const rs = await rows(sim, {})
  t.equal(rs.length, 500, 'default limit is 500')
  t.same(opens(rs), Array.from({ length: 500 }, (_, i) => T0 - (499 - i) * MIN), 'the most recent 500, oldest first')
  const dec = /^\d+\.\d{8}$/
  for (const r of rs) {
    if (r.length !== 12 || !Number.isSafeInteger(r[0]) || !Number.isSafeInteger(r[6]) || !Number.isSafeInteger(r[8]) ||
      ![r[1], r[2], r[3], r[4], r[5], r[7], r[9], r[10]].every(s => typeof s === 'string' && dec.test(s)) || r[11] !== '0') {
      t.fail(`malformed row ${JSON.stringify(r)}`)
      break
    }
  }
  t.ok(rs.every(r => r[6] === bucketCloseTime('1m', r[0])), 'close time is next open - 1')
  t.ok(rs.every(r => units(r[9]) <= units(r[5]) && Number(r[10]) <= Number(r[7])), 'taker volumes within totals')
  t.ok(rs.every(r => Number(r[2]) >= Math.max(Number(r[1]), Number(r[4])) && Number(r[3]) <= Math.min(Number(r[1]), Number(r[4]))), 'high/low bound open/close')

  const closed = rs.slice(0, -1)
  t.same(closed.map(r => toCandle('BTCUSDT', '1m', r)), groundTruth('BTCUSDT', '1m', rs[0]![0], T0), 'closed rows equal groundTruth')
  const last = rs.at(-1)!
  t.equal(last[0], T0, 'the last row is the open candle')
  t.ok(last[6] >= NOW, 'its close time is not before serverTime')
  t.same(toCandle('BTCUSDT', '1m', last), intervalCandle('BTCUSDT', '1m', T0, NOW), 'it is the partial state as of now')
})

t.test('startTime / endTime combinations', async t => {
  const { sim } = await startTestSim(t, {}, NOW)
  const s = T0 - 100 * MIN
  t.same(opens(await rows(sim, { startTime: s, limit: 5 })), [0, 1, 2, 3, 4].map(i => s + i * MIN), 'startTime only: oldest from start, inclusive')
  t.same(opens(await rows(sim, { startTime: s + 1, limit: 2 })), [s + MIN, s + 2 * MIN], 'a start inside a candle skips that candle')
  const e = T0 - 50 * MIN
  t.same(opens(await rows(sim, { endTime: e, limit: 3 })), [e - 2 * MIN, e - MIN, e], 'endTime only: newest up to end, inclusive')
  t.same(opens(await rows(sim, { endTime: e + 30_000, limit: 1 })), [e], 'the candle open at endTime counts even though it closes later')
  t.same(opens(await rows(sim, { startTime: T0 - 10 * MIN, endTime: T0 - 5 * MIN })), [10, 9, 8, 7, 6, 5].map(i => T0 - i * MIN), 'both bounds inclusive')
  t.same(opens(await rows(sim, { startTime: T0 - 10 * MIN, endTime: T0 - 5 * MIN, limit: 2 })), [T0 - 10 * MIN, T0 - 9 * MIN], 'both: from start forward')
  t.same(opens(await rows(sim, { startTime: T0 - 2 * MIN, endTime: T0 + 60 * MIN })), [T0 - 2 * MIN, T0 - MIN, T0], 'nothing past now')
  t.same(await rows(sim, { startTime: T0 + MIN }), [], 'a start in the future is empty')
  t.same(await rows(sim, { startTime: (T0 - 3 * MIN) * 1000, endTime: (T0 - 2 * MIN) * 1000 }), await rows(sim, { startTime: T0 - 3 * MIN, endTime: T0 - 2 * MIN }), '16-digit values are microseconds')
  const bad = await klines(sim, { symbol: 'BTCUSDT', interval: '1m', startTime: T0, endTime: T0 - 1 })
  t.same([bad.status, bad.body], [400, { code: -1023, msg: 'Start time is greater than end time.' }])
})

t.test('validation errors', async t => {
  const { sim } = await startTestSim(t, {}, NOW)
  const err = async (params: Record<string, string | number>): Promise<[number, unknown]> => {
    const r = await klines(sim, params)
    return [r.status, r.body]
  }
  t.same(await err({ interval: '1m' }), [400, { code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." }])
  t.same(await err({ symbol: '', interval: '1m' }), [400, { code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." }])
  t.same(await err({ symbol: 'BTCUSDT' }), [400, { code: -1102, msg: "Mandatory parameter 'interval' was not sent, was empty/null, or malformed." }])
  t.same(await err({ symbol: 'NOPEUSDT', interval: '1m' }), [400, { code: -1121, msg: 'Invalid symbol.' }])
  t.same(await err({ symbol: 'BTCUSDT', interval: '1x' }), [400, { code: -1120, msg: 'Invalid interval.' }])
  t.same(await err({ symbol: 'BTCUSDT', interval: '1H' }), [400, { code: -1120, msg: 'Invalid interval.' }], 'intervals are case-sensitive')
  for (const limit of [0, 1001, -5]) {
    t.same(await err({ symbol: 'BTCUSDT', interval: '1m', limit }), [400, { code: -1130, msg: "Data sent for parameter 'limit' is not valid." }], `limit ${limit}`)
  }
  t.equal((await err({ symbol: 'BTCUSDT', interval: '1m', limit: 'abc' }))[0], 400)
  t.equal(((await err({ symbol: 'BTCUSDT', interval: '1m', startTime: 'yesterday' }))[1] as { code: number }).code, -1100)
  t.equal((await err({ symbol: 'BTCUSDT', interval: '1m', timeZone: '8' }))[0], 400, 'non-UTC time zones are refused')
  t.equal((await rows(sim, { timeZone: '0', limit: 1 })).length, 1, 'timeZone=0 is accepted')
  t.equal((await rows(sim, { limit: 1000 })).length, 1000, 'limit 1000 is the maximum')
  const lower = await klines(sim, { symbol: 'btcusdt', interval: '1m', limit: 3 })
  t.same(lower.body, await rows(sim, { limit: 3 }), 'symbols are case-insensitive')
  const month = await rows(sim, { interval: '1M', limit: 2 })
  t.same(opens(month), [Date.UTC(2023, 11, 1), Date.UTC(2024, 0, 1)], '1M is a month, not a minute')
})

t.test('the open candle is partial, then final once time passes', async t => {
  const { sim, clock } = await startTestSim(t, {}, NOW)
  const [partial] = await rows(sim, { startTime: T0, limit: 1 })
  t.ok(partial !== undefined && partial[6] >= clock.now(), 'served while open')
  clock.set(T0 + MIN)
  const [final, next] = await rows(sim, { startTime: T0, limit: 2 })
  const truth = groundTruth('BTCUSDT', '1m', T0, T0 + MIN)[0]!
  t.same(toCandle('BTCUSDT', '1m', final!), truth, 'after it closes it equals the closed ground truth')
  t.ok(final![6] < clock.now(), 'and its close time is before serverTime')
  t.equal(partial![1], final![1], 'open does not change')
  t.ok(Number(partial![2]) <= Number(final![2]) && Number(partial![3]) >= Number(final![3]), 'range only widens')
  t.ok(units(partial![5]) < units(final![5]) && partial![8] <= final![8], 'volume and trades only grow')
  t.equal(next![0], T0 + MIN, 'a candle opening exactly now exists')
  t.equal(next![5], '0.00000000', 'with no volume yet')
  t.same(sim.groundTruth('BTCUSDT', '1m', T0 - MIN, T0 + 2 * MIN).map(c => c.ts), [T0 - MIN, T0], 'sim.groundTruth only has closed candles')
})

t.test('gaps and listing time', async t => {
  const listedAt = { BTCUSDT: T0 - 60 * MIN }
  const gaps = [{ from: T0 - 30 * MIN, to: T0 - 25 * MIN }, { symbol: 'ETHUSDT', from: T0 - 10 * MIN, to: T0 - 8 * MIN }]
  const { sim } = await startTestSim(t, { listedAt, gaps }, NOW)
  const btc = await rows(sim, { limit: 1000 })
  const expected = Array.from({ length: 61 }, (_, i) => T0 - (60 - i) * MIN).filter(o => o < T0 - 30 * MIN || o >= T0 - 25 * MIN)
  t.same(opens(btc), expected, 'nothing before listing, nothing inside the gap')
  t.same(await rows(sim, { endTime: T0 - 61 * MIN }), [], 'an end before listing is empty')
  t.equal((await rows(sim, { startTime: 0, limit: 1 }))[0]![0], T0 - 60 * MIN, 'a start before listing begins at listing')
  t.same(opens(await rows(sim, { endTime: T0 - 24 * MIN, limit: 3 })), [T0 - 31 * MIN, T0 - 25 * MIN, T0 - 24 * MIN], 'paging backwards skips the gap')
  const eth = await rows(sim, { symbol: 'ETHUSDT', startTime: T0 - 12 * MIN, endTime: T0 - 7 * MIN })
  t.same(opens(eth), [T0 - 12 * MIN, T0 - 11 * MIN, T0 - 8 * MIN, T0 - 7 * MIN], 'a per-symbol gap')
  t.equal((await rows(sim, { startTime: T0 - 12 * MIN, endTime: T0 - 7 * MIN })).length, 6, 'does not touch other symbols')

  const fives = await rows(sim, { interval: '5m', startTime: T0 - 35 * MIN, endTime: T0 - 20 * MIN })
  t.same(opens(fives), [T0 - 35 * MIN, T0 - 25 * MIN, T0 - 20 * MIN], 'a bucket with no minutes is absent')
  const [q] = await rows(sim, { interval: '15m', startTime: T0 - 30 * MIN, limit: 1 })
  const minutes = btc.filter(r => r[0] >= T0 - 30 * MIN && r[0] < T0 - 15 * MIN)
  t.equal(minutes.length, 10)
  t.equal(q![0], T0 - 30 * MIN, 'a partly missing bucket keeps its open time')
  t.equal(q![1], minutes[0]![1], 'and opens at its first existing minute')
  t.equal(units(q![5]), minutes.reduce((a, r) => a + units(r[5]), 0n), 'aggregating only the existing minutes')

  const truth = groundTruth('BTCUSDT', '1m', T0 - 2 * 60 * MIN, T0, 1, { listedAt, gaps })
  t.same(truth, btc.slice(0, -1).map(r => toCandle('BTCUSDT', '1m', r)), 'groundTruth with the same options matches REST')
  t.same(sim.groundTruth('BTCUSDT', '5m', T0 - 60 * MIN, T0), groundTruth('BTCUSDT', '5m', T0 - 60 * MIN, T0, 1, { listedAt, gaps }))
})

t.test('higher intervals equal aggregating the 1m rows', async t => {
  const { sim } = await startTestSim(t, {}, NOW)
  const from = T0 - 8 * 60 * MIN
  const minutes = await rows(sim, { startTime: from, endTime: T0 - 1, limit: 1000 })
  t.equal(minutes.length, 480)
  for (const interval of ['3m', '5m', '15m', '30m', '1h', '2h', '4h'] as const) {
    const higher = await rows(sim, { interval, startTime: from, endTime: T0 - 1 })
    let bad = 0
    for (const h of higher) {
      const parts = minutes.filter(r => r[0] >= h[0] && r[0] <= h[6])
      const ok = h[6] === bucketCloseTime(interval, h[0]) &&
        h[1] === parts[0]![1] &&
        Number(h[2]) === Math.max(...parts.map(r => Number(r[2]))) &&
        Number(h[3]) === Math.min(...parts.map(r => Number(r[3]))) &&
        h[4] === parts.at(-1)![4] &&
        units(h[5]) === parts.reduce((a, r) => a + units(r[5]), 0n) &&
        h[8] === parts.reduce((a, r) => a + r[8], 0) &&
        units(h[9]) === parts.reduce((a, r) => a + units(r[9]), 0n)
      if (!ok) bad++
    }
    t.equal(bad, 0, `${interval}: ${higher.length} buckets aggregate their minutes`)
  }
  // The simulator builds days and months from cached smaller buckets; the price model sums minutes.
  const day = bucketStart('1d', T0) - 24 * 60 * MIN
  const week = bucketStart('1w', T0) - 7 * 24 * 60 * MIN
  for (const [interval, open] of [['1d', day], ['1w', week], ['1M', Date.UTC(2023, 11, 1)]] as const) {
    t.same(groundTruth('BTCUSDT', interval, open, open + 1), [intervalCandle('BTCUSDT', interval, open)], `${interval} equals the price model's aggregation`)
  }
  const [dayRow] = await rows(sim, { interval: '1d', startTime: day, limit: 1 })
  t.same(toCandle('BTCUSDT', '1d', dayRow!), intervalCandle('BTCUSDT', '1d', day), 'REST serves the same day')
  const [hourNow] = await rows(sim, { interval: '1h', startTime: T0, limit: 1 })
  t.same(toCandle('BTCUSDT', '1h', hourNow!), intervalCandle('BTCUSDT', '1h', T0, NOW), 'an open hour is partial as of now')
  const [monthNow] = await rows(sim, { interval: '1M', limit: 1 })
  t.same(toCandle('BTCUSDT', '1M', monthNow!), intervalCandle('BTCUSDT', '1M', Date.UTC(2024, 0, 1), NOW), 'so is an open month')
})

t.test('exchangeInfo', async t => {
  const { sim, clock } = await startTestSim(t, {}, NOW)
  const all = await getJson<{ timezone: string, serverTime: number, rateLimits: unknown[], symbols: Array<Record<string, unknown>> }>(`${sim.restUrl}/api/v3/exchangeInfo`)
  t.equal(all.status, 200)
  t.equal(all.headers.get('x-mbx-used-weight-1m'), '20', 'weight 20')
  t.equal(all.body.timezone, 'UTC')
  t.equal(all.body.serverTime, clock.now())
  t.same(all.body.rateLimits, [
    { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
    { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 }
  ])
  t.same(all.body.symbols.map(s => s.symbol), ['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT', 'XRPUSDT'])
  const btc = all.body.symbols[0]!
  t.match(btc, {
    status: 'TRADING',
    baseAsset: 'BTC',
    quoteAsset: 'USDT',
    baseAssetPrecision: 8,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    orderTypes: ['LIMIT', 'MARKET'],
    isSpotTradingAllowed: true,
    permissions: ['SPOT'],
    filters: [{ filterType: 'PRICE_FILTER', tickSize: '0.01000000', minPrice: '0.01000000' }, { filterType: 'LOT_SIZE' }]
  })
  const one = await getJson<{ symbols: Array<{ symbol: string }> }>(`${sim.restUrl}/api/v3/exchangeInfo?symbol=ethusdt`)
  t.same(one.body.symbols.map(s => s.symbol), ['ETHUSDT'])
  t.equal(one.headers.get('x-mbx-used-weight-1m'), '40')
  const two = await getJson<{ symbols: Array<{ symbol: string }> }>(`${sim.restUrl}/api/v3/exchangeInfo?symbols=${encodeURIComponent('["BTCUSDT","XRPUSDT"]')}`)
  t.same(two.body.symbols.map(s => s.symbol), ['BTCUSDT', 'XRPUSDT'])
  const unknown = await getJson(`${sim.restUrl}/api/v3/exchangeInfo?symbols=${encodeURIComponent('["BTCUSDT","NOPE"]')}`)
  t.same([unknown.status, unknown.body], [400, { code: -1121, msg: 'Invalid symbol.' }])
  t.equal((await getJson(`${sim.restUrl}/api/v3/exchangeInfo?symbols=notjson`)).status, 400)

  const { sim: other } = await startTestSim(t, { symbols: ['ethbtc', 'DOGEFDUSD'] }, NOW)
  const info = await getJson<{ symbols: Array<{ symbol: string, baseAsset: string, quoteAsset: string }> }>(`${other.restUrl}/api/v3/exchangeInfo`)
  t.same(info.body.symbols.map(s => [s.symbol, s.baseAsset, s.quoteAsset]), [['ETHBTC', 'ETH', 'BTC'], ['DOGEFDUSD', 'DOGE', 'FDUSD']])
})

t.test('unknown paths answer JSON 404', async t => {
  const { sim } = await startTestSim(t, {}, NOW)
  const r = await getJson<{ code: number, msg: string }>(`${sim.restUrl}/api/v3/nope`)
  t.equal(r.status, 404)
  t.equal(r.body.code, -1)
  t.equal(r.headers.get('content-type'), 'application/json;charset=UTF-8')
  t.equal((await getJson(`${sim.restUrl}/api/v3/klines?symbol=BTCUSDT&interval=1m`, { method: 'POST' })).status, 404)
})

t.test('request weight per minute and 429', async t => {
  let wall = Date.UTC(2024, 0, 1, 0, 0, 15)
  const { sim } = await startTestSim(t, { weightLimitPerMinute: 25, wallNow: () => wall }, NOW)
  t.equal((await getJson(`${sim.restUrl}/api/v3/exchangeInfo`)).headers.get('x-mbx-used-weight-1m'), '20')
  for (let i = 0; i < 3; i++) await getJson(`${sim.restUrl}/api/v3/ping`)
  const k = await klines(sim, { symbol: 'BTCUSDT', interval: '1m', limit: 1 })
  t.equal(k.status, 200)
  t.equal(k.headers.get('x-mbx-used-weight-1m'), '25', 'exactly at the limit is allowed')
  const over = await getJson(`${sim.restUrl}/api/v3/ping`)
  t.equal(over.status, 429)
  t.equal(over.headers.get('retry-after'), '45', 'seconds to the next minute')
  t.equal(over.headers.get('x-mbx-used-weight-1m'), '25')
  t.same(over.body, { code: -1003, msg: 'Too much request weight used; current limit is 25 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.' })
  wall += 45_000
  const next = await getJson(`${sim.restUrl}/api/v3/ping`)
  t.equal(next.status, 200, 'a new minute resets the weight')
  t.equal(next.headers.get('x-mbx-used-weight-1m'), '1')
  t.same(sim.requests.map(r => [r.path, r.status]), [
    ['/api/v3/exchangeInfo', 200], ['/api/v3/ping', 200], ['/api/v3/ping', 200], ['/api/v3/ping', 200],
    ['/api/v3/klines', 200], ['/api/v3/ping', 429], ['/api/v3/ping', 200]
  ])
  t.same(sim.requests[4]!.query, { symbol: 'BTCUSDT', interval: '1m', limit: '1' })
  t.equal(sim.requests[0]!.at, Date.UTC(2024, 0, 1, 0, 0, 15))
})

t.test('admin endpoints', async t => {
  const { sim, clock } = await startTestSim(t, {}, NOW)
  t.same((await getJson(`${sim.restUrl}/sim/clock`)).body, { now: NOW })
  t.same((await getJson(`${sim.restUrl}/sim/clock/advance?ms=60000`, { method: 'POST' })).body, { now: NOW + MIN })
  t.equal(clock.now(), NOW + MIN)
  t.equal((await getJson(`${sim.restUrl}/sim/clock/advance?ms=-1`, { method: 'POST' })).status, 400)
  const applied = await getJson(`${sim.restUrl}/sim/faults`, { method: 'POST', body: JSON.stringify({ restFailures: { status: 503, count: 1 } }) })
  t.same([applied.status, applied.body], [200, { ok: true }])
  t.equal((await getJson(`${sim.restUrl}/api/v3/ping`)).status, 503)
  t.equal((await getJson(`${sim.restUrl}/api/v3/ping`)).status, 200)
  t.equal((await getJson(`${sim.restUrl}/sim/faults`, { method: 'POST', body: '{"bogus":1}' })).status, 400)
  t.equal((await getJson(`${sim.restUrl}/sim/faults`, { method: 'POST', body: '{' })).status, 400)
  t.same(sim.requests.map(r => r.path), ['/api/v3/ping', '/api/v3/ping'], 'admin calls are not logged')

  const real = await startSimulator({ clock: new RealClock({ startMs: NOW }) })
  t.teardown(async () => { await real.close(); real.clock.close() })
  t.equal((await getJson(`${real.restUrl}/sim/clock/advance?ms=1`, { method: 'POST' })).status, 409, 'only a ManualClock can be advanced')
})

t.test('@binance/connector Spot works against the simulator', async t => {
  const { sim } = await startTestSim(t, {}, NOW)
  const client = new connector.Spot('', '', { baseURL: sim.restUrl, timeout: 5000, logger: silentLogger })
  const res = await client.klines('btcusdt', '1m', { limit: 5 })
  t.equal(res.status, 200)
  t.same(opens(res.data as KlineRow[]), [4, 3, 2, 1, 0].map(i => T0 - i * MIN))
  t.equal(res.headers['x-mbx-used-weight-1m'], '2')
  t.same((await client.time()).data, { serverTime: NOW })
  const failure = await client.klines('NOPE', '1m').then(() => undefined, (e: unknown) => e as { response?: { status: number, data: unknown } })
  t.same([failure?.response?.status, failure?.response?.data], [400, { code: -1121, msg: 'Invalid symbol.' }])
})

t.test('pure wire builders', async t => {
  const market = new Market()
  const k = market.kline('BTCUSDT', '1m', T0)!
  const c = k.candle
  t.ok(k.closed)
  const row = klineRow(k)
  t.same(row.slice(0, 7), [T0, c.open.toFixed(8), c.high.toFixed(8), c.low.toFixed(8), c.close.toFixed(8), c.volume.toFixed(8), T0 + MIN - 1])
  t.equal(row[11], '0')
  const e = klineEvent(k, 123)
  t.same([e.e, e.E, e.s, e.k.x, e.k.i], ['kline', 123, 'BTCUSDT', true, '1m'])
  t.same([e.k.t, e.k.o, e.k.h, e.k.l, e.k.c, e.k.v, e.k.T, e.k.q, e.k.n, e.k.V, e.k.Q, e.k.B], row, 'event fields mirror the row')
  t.same([klineRow(k, 1000)[0], klineRow(k, 1000)[6], klineEvent(k, 5, 1000).E], [T0 * 1000, (T0 + MIN) * 1000 - 1, 5000], 'microsecond scaling')
  const empty = market.kline('BTCUSDT', '1m', T0, T0)!
  t.same([empty.closed, empty.trades, empty.firstTradeId, empty.lastTradeId, klineRow(empty)[5]], [false, 0, -1, -1, '0.00000000'], 'a just-opened kline has no trades')
  t.equal(market.kline('BTCUSDT', '1m', T0, T0 - 1), undefined, 'nothing before it opens')
})
