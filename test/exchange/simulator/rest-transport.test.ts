import t from 'tap'
import { ManualClock } from '../../../src/exchange/simulator/clock.js'
import { Faults } from '../../../src/exchange/simulator/faults.js'
import { Market } from '../../../src/exchange/simulator/market.js'
import { RestTransport } from '../../../src/exchange/simulator/rest-transport.js'
import { FakeResponse, fakeRequest } from './transport-fakes.js'

const T0 = Date.UTC(2024, 0, 1, 12)

function transport (opts: { weightLimitPerMinute?: number } = {}): { rest: RestTransport, faults: Faults, clock: ManualClock } {
  const clock = new ManualClock(T0)
  const faults = new Faults({ dropStreams: () => {}, shutdownNotice: () => {} })
  const rest = new RestTransport({
    market: new Market(),
    symbols: new Set(['BTCUSDT']),
    clock,
    faults,
    weightLimitPerMinute: opts.weightLimitPerMinute ?? 6000,
    wallNow: () => T0 + 15_000
  })
  return { rest, faults, clock }
}

async function call (rest: RestTransport, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<FakeResponse> {
  const res = new FakeResponse()
  await rest.handle(fakeRequest(method, headers), res.res, new URL(path, 'http://sim.invalid'))
  return res
}

t.test('a route answers JSON with the weight it used, and the request is logged with its status', async t => {
  const { rest } = transport()
  const res = await call(rest, '/api/v3/time?x=1')
  t.same(res.written, {
    status: 200,
    headers: { 'content-type': 'application/json;charset=UTF-8', 'x-mbx-used-weight-1m': '1', 'x-mbx-used-weight': '1' },
    body: { serverTime: T0 }
  })
  t.same(rest.requests, [{ at: T0 + 15_000, path: '/api/v3/time', query: { x: '1' }, status: 200 }])
})

t.test('the time-unit header: microseconds when asked, anything else milliseconds', async t => {
  const { rest } = transport()
  t.match((await call(rest, '/api/v3/time', 'GET', { 'x-mbx-time-unit': 'MICROSECOND' })).written, { body: { serverTime: T0 * 1000 } })
  t.match((await call(rest, '/api/v3/time', 'GET', { 'x-mbx-time-unit': 'fortnight' })).written, { body: { serverTime: T0 } })
})

t.test('unknown paths and methods are 404 and cost no weight', async t => {
  const { rest } = transport()
  t.match((await call(rest, '/api/v3/nothing')).written, { status: 404, body: { code: -1, msg: 'Unknown endpoint GET /api/v3/nothing' } })
  t.match((await call(rest, '/api/v3/time', 'POST')).written, { status: 404, headers: { 'x-mbx-used-weight-1m': '0' } })
  t.same(rest.requests.map(r => r.status), [404, 404])
})

t.test('over the weight limit: 429 with Retry-After to the next minute', async t => {
  const { rest } = transport({ weightLimitPerMinute: 2 })
  t.match((await call(rest, '/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1')).written, { status: 200 })
  const res = await call(rest, '/api/v3/time')
  t.match(res.written, { status: 429, headers: { 'retry-after': '45', 'x-mbx-used-weight-1m': '2' }, body: { code: -1003 } })
})

t.test('injected failures answer their status with Binance\'s bodies and Retry-After', async t => {
  const { rest, faults } = transport()
  faults.restFailures({ status: 429, count: 1 })
  faults.restFailures({ status: 418, count: 1 })
  faults.restFailures({ status: 418, count: 1, retryAfterSec: 7 })
  faults.restFailures({ status: 451, count: 1 })
  faults.restFailures({ status: 503, count: 1, path: '/api/v3/ping' })
  t.match((await call(rest, '/api/v3/time')).written, { status: 429, headers: { 'retry-after': '45' }, body: { code: -1003 } })
  t.match((await call(rest, '/api/v3/time')).written, { status: 418, headers: { 'retry-after': '120' }, body: { msg: new RegExp(`banned until ${T0 + 15_000 + 120_000}`) } })
  t.match((await call(rest, '/api/v3/time')).written, { status: 418, headers: { 'retry-after': '7' } })
  t.match((await call(rest, '/api/v3/time')).written, { status: 451, body: { code: 0, msg: /restricted location/ } })
  t.match((await call(rest, '/api/v3/time')).written, { status: 200 }, 'the 503 waits for its path')
  t.match((await call(rest, '/api/v3/ping')).written, { status: 503, body: { code: -1001 } })
  t.same(rest.requests.map(r => r.status), [429, 418, 418, 451, 200, 503])
})

t.test('an injected delay holds the answer; close() clears the delays still pending', async t => {
  const { rest, faults } = transport()
  faults.restDelayMs(60_000)
  const res = new FakeResponse()
  // Never settles: its timer is cleared below, as closing the server ends the socket it waits on.
  void rest.handle(fakeRequest('GET'), res.res, new URL('/api/v3/time', 'http://sim.invalid'))
  t.equal(res.written, undefined, 'no answer during the delay')
  t.equal(rest.requests[0]?.status, 0, 'logged on arrival, status not yet known')
  const timers = (): number => process.getActiveResourcesInfo().filter(r => r === 'Timeout').length
  const before = timers()
  rest.close()
  t.equal(timers(), before - 1, 'the delay timer is gone')
  t.equal(res.written, undefined)
})

t.test('a response already ended or destroyed is left alone', async t => {
  const { rest } = transport()
  const res = new FakeResponse()
  res.destroyed = true
  rest.sendJson(res.res, 200, {})
  t.equal(res.written, undefined)
})
