import t from 'tap'
import { MINUTE_MS } from '../../../src/domain/intervals.js'
import { CHILD, mergeStats, minuteStats } from '../../../src/exchange/simulator/bucket-stats.js'
import { MINUTE_STEPS, minuteCandle, symbolModel } from '../../../src/exchange/simulator/price-model.js'

const T0 = Date.UTC(2024, 0, 1, 12)

t.test('a complete minute carries the price model\'s candle and trade statistics', async t => {
  const s = minuteStats('BTCUSDT', T0, MINUTE_STEPS, 1)
  const c = minuteCandle('BTCUSDT', T0, MINUTE_STEPS, 1)
  const scale = 10 ** symbolModel('BTCUSDT', 1).volumeDecimals
  t.same([s.open, s.high, s.low, s.close], [c.open, c.high, c.low, c.close])
  t.equal(s.volumeUnits, Math.round(c.volume * scale), 'volume in integer units')
  t.ok(s.trades >= 20, 'a full minute has trades')
  t.equal(s.firstTradeId, (T0 / MINUTE_MS) * 10_000, 'trade ids are keyed by the minute')
  t.equal(s.lastTradeId, s.firstTradeId + s.trades - 1)
  t.ok(s.takerUnits <= s.volumeUnits)
  t.same(minuteStats('BTCUSDT', T0, MINUTE_STEPS, 1), s, 'deterministic')
})

t.test('a minute with no steps yet has no trades and ids of -1', async t => {
  const s = minuteStats('BTCUSDT', T0, 0, 1)
  t.equal(s.trades, 0)
  t.equal(s.firstTradeId, -1)
  t.equal(s.lastTradeId, -1)
  t.ok(minuteStats('BTCUSDT', T0, MINUTE_STEPS / 2, 1).trades <= minuteStats('BTCUSDT', T0, MINUTE_STEPS, 1).trades)
})

t.test('merging keeps the first open and the last close, extremes and sums', async t => {
  const a = minuteStats('ETHUSDT', T0, MINUTE_STEPS, 1)
  const b = minuteStats('ETHUSDT', T0 + MINUTE_MS, MINUTE_STEPS, 1)
  const m = mergeStats(a, b)
  t.equal(m.open, a.open)
  t.equal(m.close, b.close)
  t.equal(m.high, Math.max(a.high, b.high))
  t.equal(m.low, Math.min(a.low, b.low))
  t.equal(m.volumeUnits, a.volumeUnits + b.volumeUnits)
  t.equal(m.trades, a.trades + b.trades)
  t.equal(m.firstTradeId, a.firstTradeId)
  t.equal(m.lastTradeId, b.lastTradeId)
  const empty = minuteStats('ETHUSDT', T0 + 2 * MINUTE_MS, 0, 1)
  t.equal(mergeStats(empty, a).firstTradeId, a.firstTradeId, 'an empty first part takes the ids of the next')
  t.equal(mergeStats(a, empty).lastTradeId, a.lastTradeId, 'an empty last part keeps the ids before it')
})

t.test('every interval is tiled by its child', async t => {
  const ms: Record<string, number> = { '1m': 1, '3m': 3, '5m': 5, '15m': 15, '30m': 30, '1h': 60, '2h': 120, '4h': 240, '6h': 360, '8h': 480, '12h': 720, '1d': 1440 }
  for (const [interval, child] of Object.entries(CHILD)) {
    if (interval === '1w' || interval === '1M') {
      t.equal(child, '1d', `${interval} is built from days`)
      continue
    }
    t.equal(ms[interval]! % ms[child]!, 0, `${interval} is a whole number of ${child}`)
    t.ok(ms[child]! < ms[interval]!, `${child} is shorter than ${interval}`)
  }
})
