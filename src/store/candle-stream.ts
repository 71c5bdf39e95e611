// Every bar of a range in pages, for exports, on any store that can read a page and say what a
// range spans. Keyset paging by open time through the store's own page reads: each page is one
// short read, never a result held open on a connection for as long as a slow client takes to
// download, and other requests run between pages.
import type { CandleTuple } from '../domain/candle.js'
import { addBuckets } from '../domain/intervals.js'
import type { CandleRange, CandleStore } from './candle-store.js'

/** Bars per page: a few hundred kB of rows, one short read each. */
export const STREAM_PAGE_ROWS = 8192

/** streamCandles of the CandleStore contract, over the store's servedSpan and getCandles. */
export async function * streamCandles (
  store: Pick<CandleStore, 'servedSpan' | 'getCandles'>, r: CandleRange, pageRows = STREAM_PAGE_ROWS
): AsyncGenerator<CandleTuple[], void, undefined> {
  const span = store.servedSpan(r)
  if (span === undefined) return
  let cursor = span.first
  while (cursor <= span.last) {
    const page = await store.getCandles({ symbol: r.symbol, interval: r.interval, from: cursor, to: span.last, limit: pageRows })
    if (page.length === 0) return
    yield page
    cursor = addBuckets(r.interval, page[page.length - 1]![0], 1)
  }
}
