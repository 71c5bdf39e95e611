// Gap finding of the DuckDB store: the runs its SQL reports, turned into holes by gaps.ts.
import t from 'tap'
import type { Candle } from '../../../src/domain/candle.js'
import { minuteCandles } from '../../../src/exchange/simulator/price-model.js'
import { MIN, T0, memoryStore } from '../../helpers.js'

const HOUR = 60 * MIN

t.test('holes between, before and after the stored bars of a window', async (t) => {
  const store = await memoryStore(t)
  // Minutes 0-9, 15-19 and 30 of the first hour; nothing else.
  const kept = (c: Candle) => {
    const m = (c.ts - T0) / MIN
    return m < 10 || (m >= 15 && m < 20) || m === 30
  }
  await store.upsertBatch(minuteCandles('BTCUSDT', T0, T0 + HOUR).filter(kept))
  t.same(await store.findGaps('BTCUSDT', '1m', T0, T0 + 30 * MIN), [
    { first: T0 + 10 * MIN, last: T0 + 14 * MIN },
    { first: T0 + 20 * MIN, last: T0 + 29 * MIN }
  ], 'between runs; the window ends on a stored bar')
  t.same(await store.findGaps('BTCUSDT', '1m', T0 - 2 * MIN, T0 + 32 * MIN), [
    { first: T0 - 2 * MIN, last: T0 - MIN },
    { first: T0 + 10 * MIN, last: T0 + 14 * MIN },
    { first: T0 + 20 * MIN, last: T0 + 29 * MIN },
    { first: T0 + 31 * MIN, last: T0 + 32 * MIN }
  ], 'the ends of the window are holes like any other')
  t.same(await store.findGaps('BTCUSDT', '1m', T0 + 2 * MIN, T0 + 8 * MIN), [], 'a window inside one run has none')
  t.same(await store.findGaps('BTCUSDT', '1m', T0 + 40 * MIN + 1, T0 + 50 * MIN - 1),
    [{ first: T0 + 41 * MIN, last: T0 + 49 * MIN }], 'a window without a bar is one hole, from its first to its last whole bar open')
  t.same(await store.findGaps('BTCUSDT', '1m', T0 + 5 * MIN + 1, T0 + 5 * MIN + 2), [], 'a window opening no bar has none')
  t.same(await store.findGaps('ETHUSDT', '1m', T0, T0 + 2 * MIN), [{ first: T0, last: T0 + 2 * MIN }], 'a symbol not stored is all hole')
})

t.test('other fixed-width intervals; 1M is refused', async (t) => {
  const store = await memoryStore(t)
  const bar = (ts: number): Candle => ({ symbol: 'BTCUSDT', interval: '1h', ts, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 })
  await store.upsertBatch([bar(T0), bar(T0 + HOUR), bar(T0 + 4 * HOUR)])
  t.same(await store.findGaps('BTCUSDT', '1h', T0, T0 + 4 * HOUR), [{ first: T0 + 2 * HOUR, last: T0 + 3 * HOUR }])
  await t.rejects(store.findGaps('BTCUSDT', '1M', T0, T0 + 40 * 24 * HOUR), /fixed-width interval/)
})
