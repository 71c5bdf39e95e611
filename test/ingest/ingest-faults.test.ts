import t, { type Test } from 'tap'
import { MIN, NOW, compareWithTruth, sleep, startHarness, stepMinutes, waitFor, type Harness } from './ingest-helpers.js'

const LOOKBACK = 30 * MIN

async function ready (t: Test): Promise<Harness> {
  const h = await startHarness(t, { lookbackMs: LOOKBACK })
  h.ingestor.start()
  await waitFor(() => h.messages.some((m) => m.type === 'resync_done'), 10_000, 'first catch-up')
  await h.ingestor.idle()
  return h
}

/** After a fault: let time run on normally, then require the store to equal the truth exactly. */
async function settlesToTruth (t: Test, h: Harness, minutesAfter = 3): Promise<void> {
  await stepMinutes(h.clock, minutesAfter, 30)
  const end = Math.floor(h.clock.now() / MIN) * MIN
  for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
    await waitFor(async () => (await compareWithTruth(h.store, h.sim, symbol, NOW - LOOKBACK, end)).missing.length === 0, 10_000, `${symbol} complete`)
    await h.ingestor.idle()
    const cmp = await compareWithTruth(h.store, h.sim, symbol, NOW - LOOKBACK, end)
    t.same({ missing: cmp.missing.length, extra: cmp.extra.length, wrong: cmp.wrong.length, stored: cmp.stored },
      { missing: 0, extra: 0, wrong: 0, stored: cmp.expected }, `${symbol}: 0 missing, 0 duplicate, 0 wrong`)
  }
}

t.test('stream closed: reconnect, catch up what was missed', async (t) => {
  const h = await ready(t)
  h.sim.faults.dropStreams()
  await stepMinutes(h.clock, 4, 5)
  await waitFor(() => h.ingestor.gauges().reconnect_attempts_total >= 1 && h.ingestor.gauges().ws_state === 1, 10_000, 'reconnect')
  await settlesToTruth(t, h)
  t.ok(h.messages.filter((m) => m.type === 'resync_done').length >= 2, 'a resync_done after the reconnect catch-up')
})

t.test('stream stalls (open but silent): treated as dead, reconnected, caught up', async (t) => {
  const h = await ready(t)
  h.sim.faults.stall(true)
  await stepMinutes(h.clock, 3, 5)
  await waitFor(() => h.ingestor.gauges().reconnect_attempts_total >= 1, 10_000, 'silence detected')
  h.sim.faults.stall(false)
  await settlesToTruth(t, h)
})

/** A 429 or 418 with Retry-After: nothing is sent until it has passed, then everything is caught up. */
async function waitsOutRetryAfter (t: Test, status: 429 | 418): Promise<void> {
  const h = await ready(t)
  h.sim.faults.restFailures({ status, count: 1, retryAfterSec: 1, path: '/api/v3/klines' })
  h.sim.faults.dropStreams()
  await stepMinutes(h.clock, 2, 5)
  await waitFor(() => h.sim.requests.some((r) => r.status === status), 10_000, `the ${status}`)
  await settlesToTruth(t, h)
  const i = h.sim.requests.findIndex((r) => r.status === status)
  const next = h.sim.requests.slice(i + 1).find((r) => r.path.startsWith('/api/v3/'))!
  t.ok(next.at - h.sim.requests[i]!.at >= 1000, `next request ${next.at - h.sim.requests[i]!.at} ms after the ${status}`)
}

t.test('429 with Retry-After: the client waits at least that long', (t) => waitsOutRetryAfter(t, 429))

t.test('418 ban: the client stays away for the ban, then recovers', (t) => waitsOutRetryAfter(t, 418))

t.test('503s: retried with back-off', async (t) => {
  const h = await ready(t)
  h.sim.faults.restFailures({ status: 503, count: 3 })
  h.sim.faults.dropStreams()
  await stepMinutes(h.clock, 2, 5)
  await settlesToTruth(t, h)
  t.equal(h.sim.requests.filter((r) => r.status === 503).length, 3)
})

t.test('malformed frames: counted and skipped, the lost closes repaired', async (t) => {
  const h = await ready(t)
  h.sim.faults.malformedNext(4)
  await stepMinutes(h.clock, 3, 20)
  await settlesToTruth(t, h)
  t.ok(h.ingestor.badMessages >= 4, `bad messages counted (${h.ingestor.badMessages})`)
  t.equal(h.ingestor.gauges().ws_state, 1, 'the connection stayed up')
})

t.test('duplicate and out-of-order events: no duplicates, no wrong values', async (t) => {
  const h = await ready(t)
  h.sim.faults.duplicateNext(6)
  h.sim.faults.reorderNext(2)
  await stepMinutes(h.clock, 4, 20)
  await settlesToTruth(t, h)
  const finals = h.messages.filter((m) => m.type === 'candle' && m.final)
  const keys = finals.map((m) => m.type === 'candle' ? `${m.candle.symbol}:${m.candle.ts}` : '')
  t.equal(new Set(keys).size, keys.length, 'each closed candle is published once')
})

t.test('a final update that never comes: repaired when the next close shows the hole', async (t) => {
  const h = await ready(t)
  h.sim.faults.omitFinals(2)
  await stepMinutes(h.clock, 3, 20)
  await settlesToTruth(t, h)
  t.ok(h.ingestor.gauges().gap_repairs_total >= 1, 'a gap repair ran')
})

t.test('451: ingestion stops with a fatal status instead of retrying', async (t) => {
  const h = await startHarness(t, { lookbackMs: LOOKBACK })
  h.sim.faults.restFailures({ status: 451, count: 100 })
  h.ingestor.start()
  await waitFor(() => h.ingestor.health().issues.some((i) => i.issue === 'exchange_refused'), 10_000, 'fatal status')
  await sleep(200)
  t.equal(h.sim.requests.filter((r) => r.status === 451).length, 1, 'one request, no retries')
  t.match(h.ingestor.health().issues[0], { issue: 'exchange_refused', message: /451/ })
  t.equal(h.ingestor.liveSymbols().every((s) => !s.active), true)
})

t.test('health: stale symbols and a long-down stream are reported', async (t) => {
  const h = await startHarness(t, { lookbackMs: LOOKBACK, ingestor: { staleAfterMs: 300, downAlertMs: 300 } })
  h.ingestor.start()
  await waitFor(() => h.ingestor.gauges().ws_state === 1, 10_000)
  h.sim.faults.stall(true)
  await waitFor(() => h.ingestor.health().issues.some((i) => i.issue === 'stale_last_message'), 30_000, 'stale')
  const stale = h.ingestor.health().issues.filter((i) => i.issue === 'stale_last_message').map((i) => i.symbol)
  t.same(stale.sort(), ['BTCUSDT', 'ETHUSDT'])
  await h.sim.close()
  await waitFor(() => h.ingestor.health().issues.some((i) => i.issue === 'ws_down'), 30_000, 'ws_down')
  t.equal(h.ingestor.gauges().ws_state, 0)
})
