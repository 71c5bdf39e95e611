import t from 'tap'
import type { LiveMessage } from '../../src/live/live-bus.js'
import { DAY, MIN, NOW, compareWithTruth, startHarness, stepMinutes, waitFor } from './ingest-helpers.js'

const finals = (messages: LiveMessage[], symbol: string) =>
  messages.filter((m): m is Extract<LiveMessage, { type: 'candle' }> => m.type === 'candle' && m.final && m.candle.symbol === symbol)

t.test('catch-up from an empty store stores exactly the simulator candles of the lookback', async (t) => {
  const h = await startHarness(t, { lookbackMs: 3 * DAY })
  h.ingestor.start()
  await waitFor(() => h.messages.some((m) => m.type === 'resync_done'), 30_000, 'resync_done')
  await h.ingestor.idle()
  for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
    const cmp = await compareWithTruth(h.store, h.sim, symbol, NOW - 3 * DAY, NOW)
    t.equal(cmp.expected, 3 * 1440, `${symbol}: 3 days of minutes exist`)
    t.equal(cmp.stored, 3 * 1440, `${symbol}: every one is stored`)
    t.same([cmp.missing.length, cmp.extra.length, cmp.wrong.length], [0, 0, 0], `${symbol}: none missing, extra or wrong`)
    const published = finals(h.messages, symbol).map((m) => m.candle.ts)
    t.same(published, Array.from({ length: 600 }, (_, i) => NOW - (600 - i) * MIN), `${symbol}: the newest 600 backfilled candles are published as finals`)
  }
  const resync = h.messages.filter((m) => m.type === 'resync_done')
  t.same(resync[0], { type: 'resync_done', interval: '1m', symbols: ['BTCUSDT', 'ETHUSDT'] })
  const lastFinal = h.messages.lastIndexOf(finals(h.messages, 'ETHUSDT').at(-1)!)
  t.ok(lastFinal < h.messages.indexOf(resync[0]!), 'the catch-up candles come before resync_done')
  t.equal(h.ingestor.gauges().rest_catchup_candles_total, 6 * 1440)
  // 3 pages of 1000 per symbol plus the time call: the catch-up pages at Binance's maximum.
  const klineCalls = h.sim.requests.filter((r) => r.path === '/api/v3/klines')
  t.ok(klineCalls.every((r) => r.query.limit === '1000'), 'pages of 1000')
  t.ok(klineCalls.length <= 10, `few pages (${klineCalls.length})`)
})

t.test('live: stepped minutes are stored as they close; partials are published, never stored', async (t) => {
  const h = await startHarness(t, { lookbackMs: 60 * MIN })
  h.ingestor.start()
  await waitFor(() => h.messages.some((m) => m.type === 'resync_done'), 10_000, 'first catch-up')
  await h.ingestor.idle()
  const before = h.messages.length
  // Half-minute steps so each minute gets partials before its close.
  for (let i = 0; i < 20; i++) {
    const seen = h.messages.length
    h.clock.advance(30_000)
    await waitFor(() => h.messages.length > seen, 5000, `events after step ${i}`)
    await h.ingestor.idle()
  }
  await waitFor(async () => (await compareWithTruth(h.store, h.sim, 'ETHUSDT', NOW - 60 * MIN, NOW + 10 * MIN)).missing.length === 0, 30_000, 'live closes stored')
  for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
    const cmp = await compareWithTruth(h.store, h.sim, symbol, NOW - 60 * MIN, NOW + 10 * MIN)
    t.equal(cmp.expected, 70)
    t.same([cmp.stored, cmp.missing.length, cmp.extra.length, cmp.wrong.length], [70, 0, 0, 0], `${symbol} equals ground truth`)
  }
  const partials = h.messages.filter((m) => m.type === 'candle' && !m.final)
  t.ok(partials.length >= 20, `partials reached the bus (${partials.length})`)
  for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
    const seq = h.messages.slice(before).filter((m): m is Extract<LiveMessage, { type: 'candle' }> => m.type === 'candle' && m.candle.symbol === symbol)
    const overtaken = seq.filter((m, i) => !m.final && seq.slice(i + 1).some((later) => later.final && later.candle.ts < m.candle.ts))
    t.same(overtaken, [], `${symbol}: no partial is published before the final of an earlier minute`)
  }
  const forming = await h.store.getCandles({ symbol: 'BTCUSDT', interval: '1m', from: NOW + 10 * MIN, limit: 10 })
  t.same(forming, [], 'the forming minute is not stored')
  t.equal(h.store.storedRange('BTCUSDT', '1m')!.last, NOW + 9 * MIN, 'the newest stored candle is the last closed one')
  t.equal(h.ingestor.gauges().live_candles_total, 20, '10 closes per symbol came from the stream')
  t.equal(h.ingestor.gauges().ws_state, 1)
  const health = h.ingestor.health()
  t.same(health.issues, [])
  t.equal(health.live.symbols.BTCUSDT!.last_closed_ts, NOW + 9 * MIN)
  t.same(h.ingestor.liveSymbols().map((s) => [s.symbol, s.active, s.base, s.quote]), [['BTCUSDT', true, 'BTC', 'USDT'], ['ETHUSDT', true, 'ETH', 'USDT']])
})

t.test('restart: catch-up resumes from the last stored candle and repairs holes in the window', async (t) => {
  const first = await startHarness(t, { lookbackMs: 120 * MIN, symbols: ['BTCUSDT'] })
  first.ingestor.start()
  await waitFor(() => first.messages.some((m) => m.type === 'resync_done'), 10_000)
  await first.ingestor.idle()
  await first.exchange.close()
  await first.ingestor.stop()
  // A hole in the middle (as if an earlier run crashed) and 30 minutes of downtime.
  t.equal(await first.store.deleteRange('BTCUSDT', '1m', NOW - 50 * MIN, NOW - 41 * MIN), 10)
  const second = await startHarness(t, { lookbackMs: 120 * MIN, symbols: ['BTCUSDT'], store: first.store, start: NOW + 30 * MIN })
  second.ingestor.start()
  await waitFor(() => second.messages.some((m) => m.type === 'resync_done'), 10_000)
  await second.ingestor.idle()
  const cmp = await compareWithTruth(second.store, second.sim, 'BTCUSDT', NOW - 120 * MIN, NOW + 30 * MIN)
  t.same([cmp.expected, cmp.stored, cmp.missing.length, cmp.wrong.length], [150, 150, 0, 0], 'hole and downtime both filled')
  const calls = second.sim.requests.filter((r) => r.path === '/api/v3/klines')
  t.ok(calls.every((r) => Number(r.query.startTime) >= NOW - 50 * MIN), 'nothing before the hole was fetched again')
})

t.test('the exchange clock decides what is closed, whatever the local clock says', async (t) => {
  // The simulator runs years behind the local clock; nothing may be judged by Date.now().
  const h = await startHarness(t, { lookbackMs: 30 * MIN, symbols: ['BTCUSDT'], start: Date.UTC(2021, 5, 1, 0, 0, 30) })
  h.ingestor.start()
  await waitFor(() => h.messages.some((m) => m.type === 'resync_done'), 10_000)
  await h.ingestor.idle()
  const start = Date.UTC(2021, 5, 1)
  const cmp = await compareWithTruth(h.store, h.sim, 'BTCUSDT', start - 30 * MIN, start + MIN)
  t.same([cmp.expected, cmp.stored, cmp.missing.length], [30, 30, 0], 'closed minutes up to the exchange time, not the open one')
  await stepMinutes(h.clock, 3)
  await waitFor(() => h.store.storedRange('BTCUSDT', '1m')!.last === start + 2 * MIN, 30_000, 'live closes at exchange time')
})
