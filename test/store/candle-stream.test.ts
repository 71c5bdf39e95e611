// Paging a range through a store's own reads: every bar once, ascending, in pages of at most
// pageRows, over holes and for calendar months, against a store held in an array.
import fc from 'fast-check'
import t from 'tap'
import type { CandleTuple } from '../../src/domain/candle.js'
import { addBuckets, bucketStart, type Interval } from '../../src/domain/intervals.js'
import type { CandleQuery, CandleRange, TimeRange } from '../../src/store/candle-store.js'
import { STREAM_PAGE_ROWS, streamCandles } from '../../src/store/candle-stream.js'

/** The two reads streamCandles needs, over sorted bars of one series, with getCandles' from/to/limit rules. */
function arrayStore (bars: readonly CandleTuple[]) {
  const queries: CandleQuery[] = []
  return {
    queries,
    servedSpan (r: CandleRange): TimeRange | undefined {
      const inRange = bars.filter(([ts]) => (r.from === undefined || ts >= r.from) && (r.to === undefined || ts <= r.to))
      return inRange.length === 0 ? undefined : { first: inRange[0]![0], last: inRange[inRange.length - 1]![0] }
    },
    async getCandles (q: CandleQuery): Promise<CandleTuple[]> {
      queries.push(q)
      return bars.filter(([ts]) => ts >= q.from! && ts <= q.to!).slice(0, q.limit)
    }
  }
}

const bar = (ts: number): CandleTuple => [ts, 1, 2, 0.5, 1.5, 10]

for (const interval of ['1m', '1h', '1M'] as Interval[]) {
  t.test(`${interval}: every bar of the range once, ascending, pages of at most pageRows`, async () => {
    await fc.assert(fc.asyncProperty(
      fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 80 }), fc.integer({ min: 1, max: 25 }),
      fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }), fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
      async (offsets, pageRows, fromBar, toBar) => {
        const origin = bucketStart(interval, Date.UTC(2024, 0, 1))
        const bars = offsets.sort((a, b) => a - b).map((n) => bar(addBuckets(interval, origin, n)))
        const store = arrayStore(bars)
        const from = fromBar === undefined ? undefined : addBuckets(interval, origin, fromBar)
        const to = toBar === undefined ? undefined : addBuckets(interval, origin, toBar)
        const pages: CandleTuple[][] = []
        for await (const page of streamCandles(store, { symbol: 'X', interval, from, to }, pageRows)) pages.push(page)
        const expected = bars.filter(([ts]) => (from === undefined || ts >= from) && (to === undefined || ts <= to))
        return JSON.stringify(pages.flat()) === JSON.stringify(expected) && pages.every((p) => p.length > 0 && p.length <= pageRows)
      }))
  })
}

t.test('an empty range reads nothing; the default page size is used when none is given', async (t) => {
  const store = arrayStore([bar(0), bar(60_000)])
  for await (const page of streamCandles(store, { symbol: 'X', interval: '1m', from: 120_000 })) t.fail(`unexpected page ${JSON.stringify(page)}`)
  t.same(store.queries, [])
  for await (const page of streamCandles(store, { symbol: 'X', interval: '1m' })) t.same(page, [bar(0), bar(60_000)])
  t.same(store.queries, [{ symbol: 'X', interval: '1m', from: 0, to: 60_000, limit: STREAM_PAGE_ROWS }])
})
