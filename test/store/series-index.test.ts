// The in-memory series index every store keeps: ranges widen with writes, are replaced after
// deletes, come back as copies, and list what can be served natively and rolled up.
import fc from 'fast-check'
import t from 'tap'
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../src/domain/intervals.js'
import { SeriesIndex } from '../../src/store/series-index.js'

t.test('a range is the smallest one holding every write noted', async () => {
  await fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 1e6 })), { minLength: 1, maxLength: 20 }), (writes) => {
    const index = new SeriesIndex()
    for (const [a, b] of writes) index.note('BTCUSDT', '1m', Math.min(a, b), Math.max(a, b))
    const r = index.range('BTCUSDT', '1m')
    return r !== undefined && r.first === Math.min(...writes.flat()) && r.last === Math.max(...writes.flat())
  }))
})

t.test('symbols, membership, copies, replacement and forgetting', async (t) => {
  const index = new SeriesIndex()
  index.note('ETHUSDT', '1m', 0, MINUTE_MS)
  index.note('BTCUSDT', '1h', 0, HOUR_MS)
  index.note('BTCUSDT', '1m', MINUTE_MS, 2 * MINUTE_MS)
  t.same(index.symbols(), ['BTCUSDT', 'ETHUSDT'], 'sorted')
  t.ok(index.has('BTCUSDT'))
  t.notOk(index.has('SOLUSDT'))
  const copy = index.range('BTCUSDT', '1m')!
  copy.last = 0
  t.same(index.range('BTCUSDT', '1m'), { first: MINUTE_MS, last: 2 * MINUTE_MS }, 'a returned range is a copy')
  index.replace('BTCUSDT', '1m', { first: 2 * MINUTE_MS, last: 2 * MINUTE_MS })
  t.same(index.range('BTCUSDT', '1m'), { first: 2 * MINUTE_MS, last: 2 * MINUTE_MS }, 'replaced, even narrower')
  index.replace('BTCUSDT', '1m', undefined)
  t.equal(index.range('BTCUSDT', '1m'), undefined)
  t.ok(index.has('BTCUSDT'), 'its 1h series keeps the symbol')
  index.replace('BTCUSDT', '1h', undefined)
  t.notOk(index.has('BTCUSDT'), 'the last series gone, the symbol goes')
  index.replace('SOLUSDT', '1m', { first: 0, last: 0 })
  t.notOk(index.has('SOLUSDT'), 'a replacement does not create a series')
  index.clear()
  t.same(index.symbols(), [])
})

t.test('interval ranges: native ones with their counts, the rest rolled up from 1m', async (t) => {
  const index = new SeriesIndex()
  t.same(index.intervalRanges('BTCUSDT', new Map()), [], 'nothing stored')
  index.note('BTCUSDT', '1m', DAY_MS + 30 * MINUTE_MS, 3 * DAY_MS)
  index.note('BTCUSDT', '4h', 0, 4 * HOUR_MS)
  const ranges = index.intervalRanges('BTCUSDT', new Map([['1m', 2941], ['4h', 2]]))
  t.same(ranges.map((r) => r.interval), ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '1w', '1M'])
  t.same(ranges[0], { interval: '1m', first: DAY_MS + 30 * MINUTE_MS, last: 3 * DAY_MS, native: true, count: 2941 })
  t.same(ranges.find((r) => r.interval === '4h'), { interval: '4h', first: 0, last: 4 * HOUR_MS, native: true, count: 2 })
  t.same(ranges.find((r) => r.interval === '1d'), { interval: '1d', first: DAY_MS, last: 3 * DAY_MS, native: false })
  t.same(ranges.find((r) => r.interval === '1w'), { interval: '1w', first: -3 * DAY_MS, last: -3 * DAY_MS, native: false },
    'the week holding the first days of 1970 opens on the Monday before the epoch')
  const only = new SeriesIndex()
  only.note('ETHUSDT', '1d', 0, DAY_MS)
  t.same(only.intervalRanges('ETHUSDT', new Map()), [{ interval: '1d', first: 0, last: DAY_MS, native: true, count: 0 }],
    'without minutes nothing is rolled up; an unknown count is 0')
})
