import t from 'tap'
import { MINUTE_MS } from '../../src/domain/intervals.js'
import { ExchangeReach } from '../../src/ingest/exchange-reach.js'
import { IngestHealth } from '../../src/ingest/ingest-health.js'
import { silentLog } from '../../src/log.js'

const T0 = Date.UTC(2024, 0, 1)

function health () {
  const clock = { at: T0 }
  const now = (): number => clock.at
  const reach = new ExchangeReach({ log: silentLog, now })
  const h = new IngestHealth({ reach, now, staleAfterMs: 3 * MINUTE_MS, downAlertMs: 2 * MINUTE_MS })
  return { h, clock, reach }
}

const OPEN = { open: true, reconnectAttempts: 2 }
const DOWN = { open: false, reconnectAttempts: 3 }

t.test('a symbol silent for longer than staleAfterMs since start or its last message is stale', async (t) => {
  const { h, clock } = health()
  h.streamOpened()
  const s = { symbol: 'BTCUSDT', lastClosed: T0 - MINUTE_MS, lastMessageAt: undefined as number | undefined }
  clock.at += 3 * MINUTE_MS
  t.same(h.report([s], OPEN).issues, [], 'not yet: exactly staleAfterMs')
  clock.at += 1
  t.same(h.report([s], OPEN).issues, [{ issue: 'stale_last_message', symbol: 'BTCUSDT', last_msg_age_ms: 3 * MINUTE_MS + 1, interval_ms: MINUTE_MS }])
  s.lastMessageAt = h.messageArrived()
  clock.at += 500
  const r = h.report([s], OPEN)
  t.same(r.issues, [])
  t.same(r.live, { enabled: true, ws_state: 1, last_msg_age_ms: 500, symbols: { BTCUSDT: { last_closed_ts: T0 - MINUTE_MS, last_msg_age_ms: 500 } } })
})

t.test('the stream down for longer than downAlertMs fails health, counted from the close', async (t) => {
  const { h, clock } = health()
  clock.at += 2 * MINUTE_MS + 1000
  t.match(h.report([], DOWN).issues, [{ issue: 'ws_down', duration_seconds: 121 }], 'never opened: down since start')
  h.streamOpened()
  clock.at += 10 * MINUTE_MS
  t.same(h.report([], OPEN).issues, [])
  h.streamClosed()
  clock.at += MINUTE_MS
  h.streamClosed()
  t.same(h.report([], DOWN).issues, [], 'a repeated close does not move the start of the downtime')
  clock.at += MINUTE_MS + 1
  t.same(h.report([], DOWN).issues, [{ issue: 'ws_down', duration_seconds: 120 }])
})

t.test('a refusal and unknown symbols are issues; a refusal silences ws_down', async (t) => {
  const { h, clock } = health()
  h.fatal = 'restricted location'
  h.unknownSymbols.push('NOPEUSDT')
  clock.at += 10 * MINUTE_MS
  t.same(h.report([], DOWN).issues, [{ issue: 'exchange_refused', message: 'restricted location' }, { issue: 'unknown_symbol', symbol: 'NOPEUSDT' }])
})

t.test('reach problems are notices, not issues', async (t) => {
  const { h, clock, reach } = health()
  h.streamOpened()
  reach.unreachable('api.example', 'ECONNREFUSED')
  clock.at += 5000
  const r = h.report([], OPEN)
  t.same(r.issues, [])
  t.match(r.notices, [{ issue: 'never_connected', host: 'api.example', duration_seconds: 5 }])
})

t.test('gauges carry the counters, the stream state and the last message age', async (t) => {
  const { h, clock } = health()
  t.equal(h.gauges(DOWN).last_msg_age_ms, null)
  h.messageArrived()
  clock.at += 250
  h.counters.live_candles_total = 4
  h.counters.rest_catchup_candles_total = 7
  h.counters.gap_repairs_total = 1
  h.counters.rejected_candles_total = 2
  h.counters.bad_messages_total = 9
  t.same(h.gauges(OPEN), {
    ws_state: 1,
    last_msg_age_ms: 250,
    reconnect_attempts_total: 2,
    rest_catchup_candles_total: 7,
    live_candles_total: 4,
    gap_repairs_total: 1,
    rejected_candles_total: 2
  })
})
