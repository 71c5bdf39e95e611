import t from 'tap'
import type { Candle } from '../../src/domain/candle.js'
import { MINUTE_MS } from '../../src/domain/intervals.js'
import { minuteCandles } from '../../src/exchange/simulator/price-model.js'
import { ExchangeReach } from '../../src/ingest/exchange-reach.js'
import { IngestHealth } from '../../src/ingest/ingest-health.js'
import { klineStreamHandlers, type StreamedSymbol } from '../../src/ingest/stream-handlers.js'
import { SymbolLane } from '../../src/ingest/symbol-lane.js'
import { recordingLog } from './fake-exchange.js'

const T0 = Date.UTC(2024, 0, 1)
const [bar0, bar1] = minuteCandles('BTCUSDT', T0, T0 + 2 * MINUTE_MS) as [Candle, Candle]

function routing () {
  const clock = { at: T0 }
  const log = recordingLog()
  const health = new IngestHealth({ reach: new ExchangeReach({ log, now: () => clock.at }), now: () => clock.at })
  const applied: number[] = []
  const partials: number[] = []
  const btc: StreamedSymbol = {
    lane: new SymbolLane({
      applyClosed: async (c) => { applied.push(c.ts) },
      publishPartial: (c) => { partials.push(c.ts) },
      onError: (err) => { throw err }
    })
  }
  const state = { stopped: false, connects: 0 }
  const handlers = klineStreamHandlers({
    health,
    log,
    symbol: (s) => s === 'BTCUSDT' ? btc : undefined,
    connected: () => { state.connects++ },
    stopped: () => state.stopped
  })
  return { clock, log, health, btc, applied, partials, state, handlers }
}

t.test('klines of an ingested symbol reach its lane; the message time is recorded', async (t) => {
  const r = routing()
  r.clock.at += 5000
  r.handlers.onKline({ candle: bar0, closed: true, eventTime: T0 })
  r.handlers.onKline({ candle: { ...bar1, close: bar1.close + 1 }, closed: false, eventTime: T0 })
  await r.btc.lane.idle()
  t.same(r.applied, [bar0.ts])
  t.same(r.partials, [bar1.ts])
  t.equal(r.btc.lastMessageAt, T0 + 5000)
  t.equal(r.health.gauges({ open: true, reconnectAttempts: 0 }).last_msg_age_ms, 0)
})

t.test('other symbols and intervals are ignored but count as stream messages', async (t) => {
  const r = routing()
  r.handlers.onKline({ candle: { ...bar0, symbol: 'ETHUSDT' }, closed: true, eventTime: T0 })
  r.handlers.onKline({ candle: { ...bar0, interval: '5m' }, closed: true, eventTime: T0 })
  await r.btc.lane.idle()
  t.same(r.applied, [])
  t.equal(r.btc.lastMessageAt, undefined)
  t.equal(r.health.gauges({ open: true, reconnectAttempts: 0 }).last_msg_age_ms, 0)
})

t.test('an invalid kline is rejected, counted and logged', async (t) => {
  const r = routing()
  r.handlers.onKline({ candle: { ...bar0, high: Number.POSITIVE_INFINITY }, closed: true, eventTime: T0 })
  await r.btc.lane.idle()
  t.same(r.applied, [])
  t.equal(r.health.counters.rejected_candles_total, 1)
  t.equal(r.log.warnings[0]?.msg, 'rejected an invalid kline from the stream')
})

t.test('after stop klines are ignored', async (t) => {
  const r = routing()
  r.state.stopped = true
  r.handlers.onKline({ candle: bar0, closed: true, eventTime: T0 })
  await r.btc.lane.idle()
  t.same(r.applied, [])
  t.equal(r.health.gauges({ open: false, reconnectAttempts: 0 }).last_msg_age_ms, null)
})

t.test('open catches up and ends the downtime; close starts it; bad messages are counted', async (t) => {
  const r = routing()
  r.handlers.onOpen()
  t.equal(r.state.connects, 1)
  r.clock.at += 10 * MINUTE_MS
  t.same(r.health.report([], { open: true, reconnectAttempts: 0 }).issues, [])
  r.handlers.onClose({ code: 1006, reason: 'socket hang up', host: 'stream.example', reconnectInMs: 100 })
  r.clock.at += 3 * MINUTE_MS
  t.match(r.health.report([], { open: false, reconnectAttempts: 1 }).issues, [{ issue: 'ws_down', duration_seconds: 180 }])
  t.match(r.log.warnings.at(-1)?.msg, /exchange stream to stream.example closed \(socket hang up\); reconnecting/)
  r.handlers.onBadMessage('not JSON')
  t.equal(r.health.counters.bad_messages_total, 1)
})
