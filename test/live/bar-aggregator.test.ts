// One live bar above 1m built from the 1m stream, over a real in-memory store: what is emitted for
// forming and closed minutes, when the final goes out, and that it is the stored bucket.
import t from 'tap'
import type { Candle, CandleTuple } from '../../src/domain/candle.js'
import { minuteCandles } from '../../src/exchange/simulator/price-model.js'
import { BarAggregator } from '../../src/live/bar-aggregator.js'
import { memoryStore } from '../helpers.js'

const MIN = 60_000
/** 2024-01-01T00:00Z, a Monday. */
const TS = Date.UTC(2024, 0, 1)

const tuple = (c: Candle): CandleTuple => [c.ts, c.open, c.high, c.low, c.close, c.volume]

t.test('a 5m bar: forming and closed minutes merge, late ones are ignored, the final is the stored bucket', async (t) => {
  const store = await memoryStore(t)
  const emitted: Array<{ bar: CandleTuple, final: boolean }> = []
  const agg = new BarAggregator('BTCUSDT', '5m', store, (bar, final) => emitted.push({ bar, final }))
  const m = minuteCandles('BTCUSDT', TS, TS + 5 * MIN)

  await agg.onMinute(m[0]!, false)
  t.same(emitted.pop(), { bar: tuple(m[0]!), final: false }, 'the forming first minute is the bar')
  await store.upsertBatch([m[0]!])
  await agg.onMinute(m[0]!, true)
  t.same(emitted.pop(), { bar: tuple(m[0]!), final: false }, 'closed, still a partial of the bucket')
  await agg.onMinute({ ...m[0]!, close: 1 }, false)
  t.equal(emitted.length, 0, 'a partial of a closed minute is ignored')

  await agg.onMinute(m[1]!, false)
  const partial = emitted.pop()!
  t.same(partial.bar, [TS, m[0]!.open, Math.max(m[0]!.high, m[1]!.high), Math.min(m[0]!.low, m[1]!.low), m[1]!.close, Math.round((m[0]!.volume + m[1]!.volume) * 1e8) / 1e8])

  for (const c of m.slice(1)) {
    await store.upsertBatch([c])
    await agg.onMinute(c, true)
  }
  const final = emitted.pop()!
  t.equal(final.final, true, 'the bucket\'s last minute closes it')
  t.same(final.bar, (await store.getCandles({ symbol: 'BTCUSDT', interval: '5m', from: TS, to: TS, limit: 1 }))[0], 'equal to the stored 5m candle')
  t.ok(emitted.every((e) => !e.final && e.bar[0] === TS), 'partials before it carry the bucket open time')
  emitted.length = 0
  await agg.onMinute({ ...m[4]!, close: 1 }, false)
  t.equal(emitted.length, 0, 'no partial for a final bucket')
  // A repeated close of the last minute reads the final again; the feed drops repeats of a final.
  await agg.onMinute(m[4]!, true)
  t.same(emitted, [final], 'a repeated last close repeats the stored final, nothing else')
})

t.test('a bucket starts from the minutes already stored, and a later bucket closes the one before', async (t) => {
  const store = await memoryStore(t)
  const m = minuteCandles('ETHUSDT', TS, TS + 10 * MIN)
  await store.upsertBatch(m.slice(0, 3))
  const emitted: Array<{ bar: CandleTuple, final: boolean }> = []
  const agg = new BarAggregator('ETHUSDT', '5m', store, (bar, final) => emitted.push({ bar, final }))

  await agg.onMinute(m[3]!, false)
  const first = m.slice(0, 4)
  t.same(emitted.pop(), {
    bar: [TS, m[0]!.open, Math.max(...first.map((c) => c.high)), Math.min(...first.map((c) => c.low)), m[3]!.close, Math.round(first.reduce((a, c) => a + c.volume, 0) * 1e8) / 1e8],
    final: false
  }, 'the three stored minutes and the forming one')

  // Minute 4 never closes here (a hole the ingestor repairs); minute 5 opens the next bucket.
  await store.upsertBatch([m[3]!])
  await agg.onMinute(m[5]!, false)
  t.same(emitted.shift(), { bar: (await store.getCandles({ symbol: 'ETHUSDT', interval: '5m', from: TS, to: TS, limit: 1 }))[0], final: true }, 'the previous bucket\'s final first, as stored')
  t.same(emitted.shift(), { bar: [TS + 5 * MIN, m[5]!.open, m[5]!.high, m[5]!.low, m[5]!.close, m[5]!.volume], final: false }, 'then the new bucket')
  await agg.onMinute(m[4]!, true)
  t.equal(emitted.length, 0, 'a late minute of a final bucket is ignored')
})

t.test('a 1w bar closes with the last minute of Sunday', async (t) => {
  const store = await memoryStore(t)
  const emitted: Array<{ bar: CandleTuple, final: boolean }> = []
  const agg = new BarAggregator('BTCUSDT', '1w', store, (bar, final) => emitted.push({ bar, final }))
  const [last] = minuteCandles('BTCUSDT', TS + 7 * 1440 * MIN - MIN, TS + 7 * 1440 * MIN)
  await store.upsertBatch([last!])
  await agg.onMinute(last!, true)
  t.same(emitted, [{ bar: [TS, last!.open, last!.high, last!.low, last!.close, last!.volume], final: true }], 'the Monday-aligned week, final')
})
