import t from 'tap'
import type { KlineEvent, Simulator } from '../../../src/exchange/simulator/server.js'
import { Collector, MIN, T0, connector, getJson, quiet, silentLogger, sleep, startTestSim, waitFor } from '../../simulator-helpers.js'

const NOW = T0 + 30_000

function summary (c: Collector): Array<[number, boolean]> {
  return (c.json() as KlineEvent[]).map(e => [e.k.t, e.k.x])
}

async function status (sim: Simulator, path = '/api/v3/ping'): Promise<number> {
  return (await fetch(`${sim.restUrl}${path}`)).status
}

const KLINES = '/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1'

t.test('dropStreams terminates, or closes with a code', async t => {
  const { sim } = await startTestSim(t, {}, NOW)
  const raw = await Collector.open(t, `${sim.wsUrl}/ws/btcusdt@kline_1m`)
  const combined = await Collector.open(t, `${sim.wsUrl}/stream?streams=btcusdt@kline_1m`)
  t.equal(sim.connections(), 2)
  sim.faults.dropStreams()
  t.equal(await raw.closed(), 1006, 'abrupt: no close frame')
  t.equal(await combined.closed(), 1006)
  await waitFor(() => sim.connections() === 0, 2000, 'connections to drain')
  const again = await Collector.open(t, `${sim.wsUrl}/ws/btcusdt@kline_1m`)
  sim.faults.dropStreams(4000)
  t.equal(await again.closed(), 4000, 'a close frame with the given code')
  const viaAdmin = await Collector.open(t, `${sim.wsUrl}/ws`)
  t.equal((await getJson(`${sim.restUrl}/sim/faults`, { method: 'POST', body: '{"dropStreams":4001}' })).status, 200)
  t.equal(await viaAdmin.closed(), 4001, 'also from the admin endpoint')
})

t.test('stall silences events and pings without closing', async t => {
  const { sim, clock } = await startTestSim(t, { pingIntervalMs: 20, pongTimeoutMs: 300 }, NOW)
  const c = await Collector.open(t, `${sim.wsUrl}/ws/btcusdt@kline_1m`)
  await c.until(() => c.pings >= 1, 2000, 'a ping')
  sim.faults.stall(true)
  await sleep(30)
  const pings = c.pings
  clock.advance(5 * MIN)
  await sleep(350)
  t.equal(c.messages.length, 0, 'no events while stalled')
  t.equal(c.pings, pings, 'no pings while stalled')
  t.equal(c.closeCode, undefined, 'the connection stays open past the pong timeout')
  sim.faults.stall(false)
  clock.advance(MIN)
  await c.count(2)
  t.same(summary(c), [[T0 + 5 * MIN, true], [T0 + 6 * MIN, false]], 'what fell in the stall is lost; streaming resumes')
  await c.until(() => c.pings > pings, 2000, 'pings to resume')
  t.pass('pings resume')
})

t.test('restFailures answer the requested status', async t => {
  const wall = Date.UTC(2024, 0, 1, 0, 0, 15)
  const { sim } = await startTestSim(t, { wallNow: () => wall }, NOW)
  sim.faults.restFailures({ status: 429, count: 2, retryAfterSec: 7 })
  for (let i = 0; i < 2; i++) {
    const r = await getJson(`${sim.restUrl}/api/v3/ping`)
    t.equal(r.status, 429)
    t.equal(r.headers.get('retry-after'), '7')
    t.ok(r.headers.has('x-mbx-used-weight-1m'), 'weight header on failures too')
    t.same(r.body, { code: -1003, msg: 'Too much request weight used; current limit is 6000 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.' })
  }
  t.equal(await status(sim), 200, 'only `count` requests fail')

  sim.faults.restFailures({ status: 429, count: 1 })
  t.equal((await getJson(`${sim.restUrl}/api/v3/ping`)).headers.get('retry-after'), '45', 'default Retry-After: rest of the minute')

  sim.faults.restFailures({ status: 418, count: 1, retryAfterSec: 300 })
  const ban = await getJson(`${sim.restUrl}/api/v3/klines?symbol=BTCUSDT&interval=1m`)
  t.equal(ban.status, 418)
  t.equal(ban.headers.get('retry-after'), '300')
  t.same(ban.body, { code: -1003, msg: `Way too much request weight used; IP banned until ${wall + 300_000}. Please use WebSocket Streams for live updates to avoid bans.` })

  sim.faults.restFailures({ status: 451, count: 1 })
  const geo = await getJson(`${sim.restUrl}/api/v3/time`)
  t.same([geo.status, geo.body], [451, {
    code: 0,
    msg: "Service unavailable from a restricted location according to 'b. Eligibility' in https://www.binance.com/en/terms. Please contact customer service if you believe you received this message in error."
  }])
  for (const s of [500, 503] as const) {
    sim.faults.restFailures({ status: s, count: 1 })
    const r = await getJson(`${sim.restUrl}/api/v3/time`)
    t.same([r.status, r.body], [s, { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' }])
  }

  sim.faults.restFailures({ status: 503, count: 1, path: '/api/v3/klines' })
  t.equal(await status(sim), 200, 'a path-filtered failure ignores other paths')
  t.equal(await status(sim, KLINES), 503)
  t.equal(await status(sim, KLINES), 200)
  t.equal(sim.requests.filter(r => r.status === 503).length, 2, 'failures are logged')

  t.throws(() => { sim.faults.restFailures({ status: 404 as 429, count: 1 }) }, RangeError)
  t.throws(() => { sim.faults.restFailures({ status: 429, count: -1 }) }, RangeError)

  sim.faults.restFailures({ status: 429, count: 1, retryAfterSec: 9 })
  const client = new connector.Spot('', '', { baseURL: sim.restUrl, timeout: 5000, logger: silentLogger })
  const err = await client.klines('BTCUSDT', '1m').then(() => undefined, (e: unknown) => e as { response?: { status: number, headers: Record<string, string> } })
  t.same([err?.response?.status, err?.response?.headers['retry-after']], [429, '9'], 'the legacy connector sees status and Retry-After')
})

t.test('restDelayMs slows every response', async t => {
  const { sim } = await startTestSim(t, {}, NOW)
  sim.faults.restDelayMs(150)
  const started = Date.now()
  t.equal(await status(sim), 200)
  t.ok(Date.now() - started >= 140, 'delayed')
  await t.rejects(fetch(`${sim.restUrl}/api/v3/ping`, { signal: AbortSignal.timeout(40) }), { name: 'TimeoutError' }, 'client timeouts fire')
  sim.faults.restDelayMs(0)
  const fast = Date.now()
  t.equal(await status(sim), 200)
  t.ok(Date.now() - fast < 140, 'and off again')
})

t.test('malformedNext sends invalid JSON in place of events', async t => {
  const { sim, clock } = await startTestSim(t, {}, NOW)
  const c = await Collector.open(t, `${sim.wsUrl}/stream?streams=btcusdt@kline_1m`)
  sim.faults.malformedNext(2)
  clock.advance(3 * MIN)
  await c.count(4)
  const parses = c.messages.map(m => { try { JSON.parse(m); return true } catch { return false } })
  t.same(parses, [false, false, true, true])
  t.same(await c.request({ method: 'LIST_SUBSCRIPTIONS', id: 1 }), { result: ['btcusdt@kline_1m'], id: 1 }, 'control replies are untouched')
})

t.test('duplicateNext sends events twice', async t => {
  const { sim, clock } = await startTestSim(t, {}, NOW)
  const c = await Collector.open(t, `${sim.wsUrl}/ws/btcusdt@kline_1m`)
  sim.faults.duplicateNext(1)
  clock.advance(2 * MIN)
  await c.count(4)
  await quiet()
  t.same(summary(c), [[T0, true], [T0, true], [T0 + MIN, true], [T0 + 2 * MIN, false]])
  t.equal(c.messages[0], c.messages[1], 'byte-identical duplicate')
})

t.test('reorderNext delivers a final after the following one', async t => {
  const { sim, clock } = await startTestSim(t, {}, NOW)
  const c = await Collector.open(t, `${sim.wsUrl}/ws/btcusdt@kline_1m`)
  sim.faults.reorderNext(1)
  clock.advance(3 * MIN)
  await c.count(4)
  t.same(summary(c), [[T0 + MIN, true], [T0, true], [T0 + 2 * MIN, true], [T0 + 3 * MIN, false]], 'within one step')
  c.clear()
  sim.faults.reorderNext(1)
  clock.advance(MIN)
  await c.count(1)
  await quiet()
  t.same(summary(c), [[T0 + 4 * MIN, false]], 'the held final waits for the next one')
  clock.advance(MIN)
  await c.count(4)
  t.same(summary(c), [[T0 + 4 * MIN, false], [T0 + 4 * MIN, true], [T0 + 3 * MIN, true], [T0 + 5 * MIN, false]], 'across steps')
})

t.test('omitFinals drops final events only', async t => {
  const { sim, clock } = await startTestSim(t, {}, NOW)
  const c = await Collector.open(t, `${sim.wsUrl}/ws/btcusdt@kline_1m`)
  sim.faults.omitFinals(2)
  clock.advance(3 * MIN)
  await c.count(2)
  await quiet()
  t.same(summary(c), [[T0 + 2 * MIN, true], [T0 + 3 * MIN, false]])
  c.clear()
  clock.advance(MIN)
  await c.count(2)
  t.same(summary(c), [[T0 + 3 * MIN, true], [T0 + 4 * MIN, false]], 'later finals arrive')
})

t.test('shutdownNotice announces, then closes', async t => {
  const { sim, clock } = await startTestSim(t, {}, NOW)
  const raw = await Collector.open(t, `${sim.wsUrl}/ws/btcusdt@kline_1m`)
  const combined = await Collector.open(t, `${sim.wsUrl}/stream?streams=btcusdt@kline_1m`)
  sim.faults.shutdownNotice()
  await raw.closed()
  await combined.closed()
  t.same(raw.json(), [{ e: 'serverShutdown', E: clock.now() }])
  t.same(combined.json(), [{ stream: '!serverShutdown', data: { e: 'serverShutdown', E: clock.now() } }])
  t.equal(raw.closeCode, 1001)
})

t.test('reset clears every fault', async t => {
  const { sim, clock } = await startTestSim(t, {}, NOW)
  const c = await Collector.open(t, `${sim.wsUrl}/ws/btcusdt@kline_1m`)
  const f = sim.faults
  f.stall(true)
  f.restDelayMs(500)
  f.restFailures({ status: 500, count: 5 })
  f.malformedNext(5)
  f.duplicateNext(5)
  f.reorderNext(5)
  f.omitFinals(5)
  f.reset()
  const started = Date.now()
  t.equal(await status(sim), 200)
  t.ok(Date.now() - started < 400, 'no delay')
  clock.advance(2 * MIN)
  await c.count(3)
  await quiet()
  t.same(summary(c), [[T0, true], [T0 + MIN, true], [T0 + 2 * MIN, false]], 'clean stream')

  const reset = await getJson(`${sim.restUrl}/sim/faults`, { method: 'POST', body: JSON.stringify({ omitFinals: 1, restFailures: [{ status: 503, count: 1 }] }) })
  t.equal(reset.status, 200)
  t.equal(await status(sim), 503, 'admin endpoint applies faults')
  t.equal((await getJson(`${sim.restUrl}/sim/faults`, { method: 'POST', body: '{"reset":true}' })).status, 200)
  c.clear()
  clock.advance(MIN)
  await c.count(2)
  t.same(summary(c), [[T0 + 2 * MIN, true], [T0 + 3 * MIN, false]], 'and resets them')
})
