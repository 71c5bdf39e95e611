import t from 'tap'
import type { ServerResponse } from 'node:http'
import { handleAdmin } from '../../../src/exchange/simulator/admin-api.js'
import { ManualClock, RealClock, type SimClock } from '../../../src/exchange/simulator/clock.js'
import { Faults } from '../../../src/exchange/simulator/faults.js'
import { FakeResponse, fakeRequest } from './transport-fakes.js'

const T0 = Date.UTC(2024, 0, 1, 12)

async function admin (clock: SimClock, faults: Faults, method: string, path: string, body: Buffer[] = []): Promise<{ status: number, body: unknown }> {
  const res = new FakeResponse()
  let sent: { status: number, body: unknown } | undefined
  const send = (r: ServerResponse, status: number, json: unknown): void => {
    t.equal(r, res.res, 'answers on the request\'s response')
    sent = { status, body: json }
  }
  await handleAdmin(fakeRequest(method, {}, body), res.res, new URL(path, 'http://sim.invalid'), { clock, faults, send })
  if (sent === undefined) throw new Error('no answer')
  return sent
}

const noFaultHooks = { dropStreams: () => {}, shutdownNotice: () => {} }

t.test('clock: read it, advance a ManualClock, refuse bad amounts and other clocks', async t => {
  const clock = new ManualClock(T0)
  const faults = new Faults(noFaultHooks)
  t.same(await admin(clock, faults, 'GET', '/sim/clock'), { status: 200, body: { now: T0 } })
  t.same(await admin(clock, faults, 'POST', '/sim/clock/advance?ms=60000'), { status: 200, body: { now: T0 + 60_000 } })
  t.equal(clock.now(), T0 + 60_000)
  t.same(await admin(clock, faults, 'POST', '/sim/clock/advance?ms=-1'), { status: 400, body: { code: -1, msg: "Parameter 'ms' must be a non-negative number." } })
  t.match(await admin(clock, faults, 'POST', '/sim/clock/advance'), { status: 200 }, 'a missing ms is Number(null), zero')
  const real = new RealClock({ startMs: T0 })
  t.teardown(() => { real.close() })
  t.same(await admin(real, faults, 'POST', '/sim/clock/advance?ms=1'), { status: 409, body: { code: -1, msg: 'The simulator clock is not a ManualClock.' } })
})

t.test('faults: a JSON body is applied, an empty one is a no-op, a bad one is 400', async t => {
  const clock = new ManualClock(T0)
  const faults = new Faults(noFaultHooks)
  t.same(await admin(clock, faults, 'POST', '/sim/faults', [Buffer.from('{"stall":'), Buffer.from('true}')]), { status: 200, body: { ok: true } })
  t.equal(faults.isStalled, true, 'applied from a body in two chunks')
  t.same(await admin(clock, faults, 'POST', '/sim/faults', [Buffer.from('  ')]), { status: 200, body: { ok: true } })
  t.match(await admin(clock, faults, 'POST', '/sim/faults', [Buffer.from('{')]), { status: 400, body: { code: -1 } })
  t.same(await admin(clock, faults, 'POST', '/sim/faults', [Buffer.alloc(64 * 1024 + 1, 32)]), { status: 400, body: { code: -1, msg: 'request body too large' } })
})

t.test('anything else under /sim is 404 naming the method and path', async t => {
  const clock = new ManualClock(T0)
  t.same(await admin(clock, new Faults(noFaultHooks), 'GET', '/sim/faults'), { status: 404, body: { code: -1, msg: 'Unknown endpoint GET /sim/faults' } })
})
