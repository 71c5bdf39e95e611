import t from 'tap'
import { ManualClock, RealClock } from '../../../src/exchange/simulator/clock.js'
import { parseStreamName, parseStreamUrl, type KlineEvent, type KlineRow, type Simulator } from '../../../src/exchange/simulator/server.js'
import { Collector, MIN, T0, connector, getJson, quiet, silentLogger, sleep, startTestSim, waitFor } from '../../simulator-helpers.js'

const NOW = T0 + 30_000

interface Wrapped {
  stream: string
  data: KlineEvent
}

function events (c: Collector): KlineEvent[] {
  return c.json() as KlineEvent[]
}

function wrapped (c: Collector): Wrapped[] {
  return c.json() as Wrapped[]
}

/** The REST row a kline event corresponds to, field for field. */
function eventRow (e: KlineEvent): KlineRow {
  const k = e.k
  return [k.t, k.o, k.h, k.l, k.c, k.v, k.T, k.q, k.n, k.V, k.Q, k.B]
}

async function restRows (sim: Simulator, symbol: string, interval: string, startTime: number, limit: number): Promise<KlineRow[]> {
  return (await getJson<KlineRow[]>(`${sim.restUrl}/api/v3/klines?symbol=${symbol}&interval=${interval}&startTime=${startTime}&limit=${limit}`)).body
}

const summary = (es: KlineEvent[]): Array<[number, boolean]> => es.map(e => [e.k.t, e.k.x])

t.test('clocks', async t => {
  const manual = new ManualClock(1000)
  const seen: number[] = []
  const off = manual.onTick(now => { seen.push(now) })
  t.equal(manual.advance(500), 1500)
  manual.set(100)
  off()
  manual.advance(1)
  t.same(seen, [1500, 100], 'every move notifies synchronously, until unsubscribed')
  t.throws(() => manual.advance(-1), RangeError)
  const calls: string[] = []
  manual.onTick(() => { calls.push('a'); throw new Error('boom') })
  manual.onTick(() => { calls.push('b') })
  t.throws(() => manual.advance(1), { message: 'boom' })
  t.same(calls, ['a', 'b'], 'a failing listener does not starve the others')
  manual.close()

  const real = new RealClock({ startMs: 5_000_000, speed: 1000, tickMs: 10 })
  t.teardown(() => { real.close() })
  const ticks: number[] = []
  real.onTick(now => { ticks.push(now) })
  // Each clock reading is bracketed by wall-clock readings, so the check below holds exactly
  // however long the machine pauses between them.
  const wallStart = Date.now()
  const before = real.now()
  const wallAfterBefore = Date.now()
  t.ok(before >= 5_000_000 && before < 5_000_000 + 1000 * 50, 'starts at startMs')
  // Polling rather than one sleep: on a loaded machine a single late timer would see one tick.
  await waitFor(() => ticks.length >= 3 && Date.now() - wallStart >= 60, 2000, 'ticks')
  const wallBeforeAfter = Date.now()
  const simElapsed = real.now() - before
  const wallEnd = Date.now()
  t.ok(simElapsed >= (wallBeforeAfter - wallAfterBefore) * 1000 - 1 && simElapsed <= (wallEnd - wallStart) * 1000 + 1,
    `runs at 1000x (${simElapsed} sim ms in ${wallBeforeAfter - wallAfterBefore}-${wallEnd - wallStart} wall ms)`)
  t.pass('ticks on its interval')
  t.ok(ticks.every((v, i) => i === 0 || v >= ticks[i - 1]!), 'ticks carry increasing times')
  real.close()
  const n = ticks.length
  await sleep(30)
  t.equal(ticks.length, n, 'close stops ticking')
  const wall = new RealClock()
  const w0 = Date.now()
  const reading = wall.now()
  t.ok(reading >= w0 && reading <= Date.now(), 'defaults to the wall clock')
  wall.close()
})

t.test('stream names and URLs', async t => {
  t.same(parseStreamName('btcusdt@kline_1m'), { symbol: 'BTCUSDT', interval: '1m' })
  t.same(parseStreamName('btcusdt@kline_1M'), { symbol: 'BTCUSDT', interval: '1M' })
  t.equal(parseStreamName('BTCUSDT@kline_1m'), undefined)
  t.equal(parseStreamName('btcusdt@kline_1m@+08:00'), undefined)
  t.same(parseStreamUrl('/ws/btcusdt@kline_1m'), { ok: true, target: { combined: false, streams: ['btcusdt@kline_1m'], timeScale: 1 } })
  t.same(parseStreamUrl('/stream?streams=a@kline_1m/b@kline_1h@+08:00&timeUnit=microsecond'), { ok: true, target: { combined: true, streams: ['a@kline_1m', 'b@kline_1h@+08:00'], timeScale: 1000 } })
  t.same(parseStreamUrl('/stream?streams='), { ok: true, target: { combined: true, streams: [], timeScale: 1 } })
  t.match(parseStreamUrl('/api/v3/ping'), { ok: false, status: 404 })
})

t.test('raw stream: finals in order on a stepped clock, then one partial', async t => {
  const { sim, clock } = await startTestSim(t, {}, NOW)
  const c = await Collector.open(t, `${sim.wsUrl}/ws/btcusdt@kline_1m`)
  t.equal(sim.connections(), 1)
  clock.advance(10 * MIN)
  await c.count(11)
  await quiet()
  const es = events(c)
  t.equal(es.length, 11, '10 finals and one partial')
  t.same(summary(es), [...Array.from({ length: 10 }, (_, i): [number, boolean] => [T0 + i * MIN, true]), [T0 + 10 * MIN, false]])
  t.ok(es.every(e => e.e === 'kline' && e.s === 'BTCUSDT' && e.k.s === 'BTCUSDT' && e.k.i === '1m' && e.E === clock.now()), 'event envelope')
  t.same(es.map(eventRow), await restRows(sim, 'BTCUSDT', '1m', T0, 11), 'events carry exactly the REST rows, partial included')
  t.ok(es.every(e => e.k.f <= e.k.L && e.k.B === '0'), 'trade ids')

  c.clear()
  clock.advance(1000)
  await quiet()
  t.equal(c.messages.length, 0, 'no partial before partialEveryMs of sim time')
  clock.advance(1000)
  await c.count(1)
  t.same(summary(events(c)), [[T0 + 10 * MIN, false]], 'then a partial')
  c.clear()
  clock.set(T0 + 11 * MIN)
  await c.count(2)
  t.same(summary(events(c)), [[T0 + 10 * MIN, true], [T0 + 11 * MIN, false]], 'a final comes before the next bucket\'s partial')
  t.equal(events(c)[1]!.k.v, '0.00000000')
})

t.test('combined streams wrap every event', async t => {
  const { sim, clock } = await startTestSim(t, {}, NOW)
  const c = await Collector.open(t, `${sim.wsUrl}/stream?streams=btcusdt@kline_1m/ethusdt@kline_5m`)
  clock.advance(5 * MIN)
  await c.count(8)
  await quiet()
  const ws = wrapped(c)
  t.equal(ws.length, 8)
  t.same(ws.map(w => [w.stream, w.data.k.t, w.data.k.x]), [
    ['btcusdt@kline_1m', T0, true], ['btcusdt@kline_1m', T0 + MIN, true], ['btcusdt@kline_1m', T0 + 2 * MIN, true],
    ['btcusdt@kline_1m', T0 + 3 * MIN, true], ['btcusdt@kline_1m', T0 + 4 * MIN, true], ['btcusdt@kline_1m', T0 + 5 * MIN, false],
    ['ethusdt@kline_5m', T0, true], ['ethusdt@kline_5m', T0 + 5 * MIN, false]
  ])
  t.same(eventRow(ws[6]!.data), (await restRows(sim, 'ETHUSDT', '5m', T0, 1))[0])
})

t.test('SUBSCRIBE, UNSUBSCRIBE and LIST_SUBSCRIPTIONS', async t => {
  const { sim, clock } = await startTestSim(t, {}, NOW)
  const c = await Collector.open(t, `${sim.wsUrl}/stream?streams=`)
  t.same(await c.request({ method: 'SUBSCRIBE', params: ['btcusdt@kline_1m'], id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' }), { result: null, id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' }, 'string ids')
  t.same(await c.request({ method: 'SUBSCRIBE', params: ['btcusdt@kline_1m'], id: 7 }), { result: null, id: 7 }, 'idempotent')
  t.same(await c.request({ method: 'LIST_SUBSCRIPTIONS', id: null }), { result: ['btcusdt@kline_1m'], id: null })
  clock.advance(MIN)
  await c.count(2)
  t.same(wrapped(c).map(w => [w.stream, w.data.k.t, w.data.k.x]), [['btcusdt@kline_1m', T0, true], ['btcusdt@kline_1m', T0 + MIN, false]])

  c.clear()
  t.same(await c.request({ method: 'SUBSCRIBE', params: ['ethusdt@kline_1m'], id: 8 }), { result: null, id: 8 })
  clock.advance(10_000)
  await c.count(2)
  t.same(wrapped(c).map(w => [w.stream, w.data.k.x]), [['btcusdt@kline_1m', false], ['ethusdt@kline_1m', false]], 'a new subscription starts now, without backlog')

  c.clear()
  t.same(await c.request({ method: 'UNSUBSCRIBE', params: ['btcusdt@kline_1m'], id: 9 }), { result: null, id: 9 })
  t.same(await c.request({ method: 'LIST_SUBSCRIPTIONS', id: 10 }), { result: ['ethusdt@kline_1m'], id: 10 })
  clock.advance(MIN)
  await c.count(2)
  await quiet()
  t.same(wrapped(c).map(w => [w.stream, w.data.k.t, w.data.k.x]), [['ethusdt@kline_1m', T0 + MIN, true], ['ethusdt@kline_1m', T0 + 2 * MIN, false]], 'unsubscribed streams stop')
  t.equal(c.messages.length, 2)

  const bare = await Collector.open(t, `${sim.wsUrl}/stream`)
  t.same(await bare.request({ method: 'LIST_SUBSCRIPTIONS', id: 1 }), { result: [], id: 1 }, '/stream without a query is an empty combined stream')
})

t.test('raw /ws connections and the combined property', async t => {
  const { sim, clock } = await startTestSim(t, {}, NOW)
  const c = await Collector.open(t, `${sim.wsUrl}/ws`)
  t.same(await c.request({ method: 'SUBSCRIBE', params: ['btcusdt@kline_1m'], id: 1 }), { result: null, id: 1 })
  t.same(await c.request({ method: 'GET_PROPERTY', params: ['combined'], id: 2 }), { result: false, id: 2 })
  clock.advance(MIN)
  await c.count(2)
  t.same(summary(events(c)), [[T0, true], [T0 + MIN, false]], 'events are raw after SUBSCRIBE on /ws')
  c.clear()
  t.same(await c.request({ method: 'SET_PROPERTY', params: ['combined', true], id: 3 }), { result: null, id: 3 })
  t.same(await c.request({ method: 'GET_PROPERTY', params: ['combined'], id: 4 }), { result: true, id: 4 })
  clock.advance(MIN)
  await c.count(2)
  t.same(wrapped(c).map(w => [w.stream, w.data.k.t]), [['btcusdt@kline_1m', T0 + MIN], ['btcusdt@kline_1m', T0 + 2 * MIN]], 'wrapped once combined is set')
})

t.test('control message errors', async t => {
  const { sim } = await startTestSim(t, {}, NOW)
  const c = await Collector.open(t, `${sim.wsUrl}/ws`)
  const send = async (text: string): Promise<Record<string, unknown>> => {
    c.clear()
    c.ws.send(text)
    await c.count(1)
    return JSON.parse(c.messages[0]!) as Record<string, unknown>
  }
  t.match(await send('{nope'), { code: 3, msg: /^Invalid JSON: / })
  t.match(await send('{"method":"PUBLISH","id":5}'), { code: 2, msg: /^Invalid request: unknown variant `PUBLISH`/, id: 5 })
  t.match(await send('{"id":6}'), { code: 2, msg: /^Invalid request: missing field `method`/, id: 6 })
  t.match(await send('{"method":"SUBSCRIBE","params":"btcusdt@kline_1m","id":7}'), { code: 2, msg: /^Invalid request/, id: 7 })
  const badId = await send('{"method":"SUBSCRIBE","params":[],"id":{"x":1}}')
  t.match(badId, { code: 2, msg: /^Invalid request: request ID/ })
  t.notOk('id' in badId, 'no id echoed when the id itself is invalid')
  t.match(await send('[1,2]'), { code: 2 })
  t.same(await send('{"method":"SET_PROPERTY","params":["speed",true],"id":8}'), { code: 0, msg: 'Unknown property', id: 8 })
  t.same(await send('{"method":"SET_PROPERTY","params":["combined","yes"],"id":9}'), { code: 1, msg: 'Invalid value type: expected Boolean', id: 9 })
  t.same(await send(`{"method":"LIST_SUBSCRIPTIONS","id":${Number.MAX_SAFE_INTEGER}}`), { result: [], id: Number.MAX_SAFE_INTEGER })
  t.equal(c.closeCode, undefined, 'errors do not close the connection')
})

t.test('unknown streams are accepted but silent; intervals are case-sensitive', async t => {
  const { sim, clock } = await startTestSim(t, {}, NOW)
  const names = ['nopeusdt@kline_1m', 'BTCUSDT@kline_1m', 'btcusdt@depth', 'btcusdt@kline_1x', 'btcusdt@kline_1M']
  const c = await Collector.open(t, `${sim.wsUrl}/stream?streams=${names.join('/')}`)
  t.same(await c.request({ method: 'LIST_SUBSCRIPTIONS', id: 1 }), { result: names, id: 1 })
  clock.advance(10 * MIN)
  await c.count(1)
  await quiet()
  t.same(wrapped(c).map(w => [w.stream, w.data.k.i, w.data.k.t, w.data.k.x]), [['btcusdt@kline_1M', '1M', Date.UTC(2024, 0, 1), false]], 'only the month stream speaks')
})

t.test('higher-interval streams, gaps and microsecond time', async t => {
  const { sim, clock } = await startTestSim(t, { gaps: [{ symbol: 'BTCUSDT', from: T0 + 2 * MIN, to: T0 + 4 * MIN }] }, NOW)
  const hourly = await Collector.open(t, `${sim.wsUrl}/ws/ethusdt@kline_1h`)
  const minute = await Collector.open(t, `${sim.wsUrl}/ws/btcusdt@kline_1m`)
  const micro = await Collector.open(t, `${sim.wsUrl}/ws/ethusdt@kline_1m?timeUnit=MICROSECOND`)
  clock.advance(6 * MIN)
  await minute.count(5)
  t.same(summary(events(minute)), [[T0, true], [T0 + MIN, true], [T0 + 4 * MIN, true], [T0 + 5 * MIN, true], [T0 + 6 * MIN, false]], 'gap minutes produce no events')
  await micro.count(7)
  const m = events(micro)[0]!
  t.same([m.E, m.k.t, m.k.T], [clock.now() * 1000, T0 * 1000, (T0 + MIN) * 1000 - 1], 'timeUnit=MICROSECOND scales time fields')
  for (let i = 0; i < 4; i++) clock.advance(30 * MIN)
  await hourly.count(7)
  const finals = events(hourly).filter(e => e.k.x)
  t.same(finals.map(e => e.k.t), [T0, T0 + 60 * MIN], 'hourly finals only on hour boundaries')
  t.same(eventRow(finals[0]!), (await restRows(sim, 'ETHUSDT', '1h', T0, 1))[0])
  minute.clear()
  clock.set(T0 + 2 * MIN + 30_000)
  clock.advance(10_000)
  await quiet()
  t.equal(minute.messages.length, 0, 'no partials inside a gap')
})

t.test('stream URLs that are not endpoints are refused', async t => {
  const { sim } = await startTestSim(t, {}, NOW)
  await t.rejects(Collector.open(t, `${sim.wsUrl}/nope`), /404/)
  await t.rejects(Collector.open(t, `${sim.wsUrl}/ws/btcusdt@kline_1m?timeUnit=SECOND`), /400/)
  const ok = await Collector.open(t, `${sim.wsUrl}/ws/btcusdt@kline_1m?timeUnit=MILLISECOND`)
  t.equal(ok.closeCode, undefined)
})

t.test('server pings, and clients that never pong are dropped', async t => {
  // Client and server share one event loop here, so the timeout leaves room for a busy machine.
  const { sim } = await startTestSim(t, { pingIntervalMs: 30, pongTimeoutMs: 400 }, NOW)
  const good = await Collector.open(t, `${sim.wsUrl}/ws/btcusdt@kline_1m`)
  const mute = await Collector.open(t, `${sim.wsUrl}/ws/btcusdt@kline_1m`, { autoPong: false })
  await good.until(() => good.pings >= 2, 2000, 'two pings')
  t.ok(good.pings >= 2, 'ping frames arrive on their interval')
  t.equal(await mute.closed(2000), 1006, 'a client that does not answer is terminated')
  await sleep(450)
  t.equal(good.closeCode, undefined, 'a client that pongs stays connected past the timeout')
  t.equal(sim.connections(), 1)
})

t.test('@binance/connector WebsocketStream receives events', async t => {
  const { sim, clock } = await startTestSim(t, {}, NOW)
  const received: string[] = []
  let opened = false
  const stream = new connector.WebsocketStream({
    wsURL: sim.wsUrl,
    logger: silentLogger,
    callbacks: { open: () => { opened = true }, message: data => { received.push(data) } }
  })
  stream.kline('BTCUSDT', '1m')
  await waitFor(() => opened && sim.connections() === 1, 2000, 'connector open')
  clock.advance(MIN)
  await waitFor(() => received.length >= 2, 2000, 'connector messages')
  const es = received.map(r => JSON.parse(r) as KlineEvent)
  t.same(summary(es), [[T0, true], [T0 + MIN, false]])
  t.equal(es[0]!.s, 'BTCUSDT')
  // Disconnect before the server goes away, or the connector would schedule a reconnect.
  stream.disconnect()
  await waitFor(() => sim.connections() === 0, 2000, 'connector closed')
})
