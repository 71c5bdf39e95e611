// Batches as every store commits them: unique keys (the last version wins), spans per series, and
// the choice between a plain insert and a replacing one.
import fc from 'fast-check'
import t from 'tap'
import type { Candle } from '../../src/domain/candle.js'
import { MINUTE_MS } from '../../src/domain/intervals.js'
import { planWrite, seriesSpans, slices, uniqueCandles } from '../../src/store/write-batch.js'

const candle = (symbol: string, ts: number, close = 1, interval: Candle['interval'] = '1m'): Candle =>
  ({ symbol, interval, ts, open: 1, high: 2, low: 0.5, close, volume: 3 })

t.test('uniqueCandles keeps one candle per key, the last one given, and returns an ordered series as it is', async (t) => {
  const series = [candle('A', 0), candle('A', MINUTE_MS), candle('A', 2 * MINUTE_MS)]
  t.equal(uniqueCandles(series), series, 'the same array')
  const repeated = [candle('A', 0, 1), candle('B', 0, 2), candle('A', 0, 3), candle('A', 0, 4, '5m')]
  t.same(uniqueCandles(repeated), [candle('A', 0, 3), candle('B', 0, 2), candle('A', 0, 4, '5m')])
  await fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('A', 'B'), fc.integer({ min: 0, max: 20 }), fc.integer())), (rows) => {
    const input = rows.map(([s, m, close]) => candle(s, m * MINUTE_MS, close))
    const out = uniqueCandles(input)
    const keys = new Set(out.map((c) => `${c.symbol}|${c.ts}`))
    return keys.size === out.length && out.every((c) => input.findLast((d) => d.symbol === c.symbol && d.ts === c.ts) === c) &&
      keys.size === new Set(input.map((c) => `${c.symbol}|${c.ts}`)).size
  }))
})

t.test('seriesSpans gives each series its first and last open, in order of first appearance', async (t) => {
  t.same(seriesSpans([candle('B', 5 * MINUTE_MS), candle('A', MINUTE_MS), candle('B', 2 * MINUTE_MS), candle('B', 9 * MINUTE_MS, 1, '3m')]), [
    { symbol: 'B', interval: '1m', first: 2 * MINUTE_MS, last: 5 * MINUTE_MS },
    { symbol: 'A', interval: '1m', first: MINUTE_MS, last: MINUTE_MS },
    { symbol: 'B', interval: '3m', first: 9 * MINUTE_MS, last: 9 * MINUTE_MS }
  ])
  t.same(seriesSpans([]), [])
})

t.test('planWrite: appends and new series insert plainly; rows that may meet stored keys replace', async (t) => {
  const span = (first: number, last: number) => ({ symbol: 'A', interval: '1m' as const, first, last })
  t.same(planWrite([span(10, 20)], [undefined]), { appends: [true], replace: false }, 'a new series')
  t.same(planWrite([span(10, 20)], [{ first: 0, last: 9 }]), { appends: [true], replace: false }, 'after the stored range')
  t.same(planWrite([span(5, 20)], [{ first: 0, last: 9 }]), { appends: [false], replace: true }, 'overlapping')
  t.same(planWrite([span(0, 4)], [{ first: 5, last: 9 }]), { appends: [false], replace: false }, 'entirely before: no key can meet')
  t.same(planWrite([span(10, 20), span(0, 4)], [{ first: 0, last: 9 }, { first: 0, last: 2 }]), { appends: [true, false], replace: true },
    'one overlapping span makes the whole write replace')
  t.same(planWrite([span(10, 20)], [undefined], true), { appends: [false], replace: true }, 'forced: nothing counts as an append')
})

t.test('slices', async (t) => {
  t.same(slices([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]])
  t.same(slices([], 2), [])
})
