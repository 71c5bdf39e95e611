import t from 'tap'
import { MINUTE_MS } from '../../src/domain/intervals.js'
import { minuteCandles } from '../../src/exchange/simulator/price-model.js'
import { KLINE_PAGE, fetchClosedKlines, type ClosedKlinePage } from '../../src/ingest/fetch-closed-klines.js'
import { silentLog } from '../../src/log.js'
import { FakeExchange, recordingLog } from './fake-exchange.js'

const T0 = Date.UTC(2024, 0, 1)
const N = 2500

async function collect (pages: AsyncIterable<ClosedKlinePage>): Promise<ClosedKlinePage[]> {
  const out: ClosedKlinePage[] = []
  for await (const page of pages) out.push(page)
  return out
}

t.test('pages of 1000 from `from`, each starting one bar after the last, until a short page', async (t) => {
  const ex = new FakeExchange(minuteCandles('BTCUSDT', T0, T0 + N * MINUTE_MS), T0 + N * MINUTE_MS)
  const pages = await collect(fetchClosedKlines(ex, { symbol: 'BTCUSDT', interval: '1m', from: T0, to: T0 + N * MINUTE_MS, serverTime: ex.serverNow, log: silentLog }))
  t.same(ex.requests.map((r) => r.startTime), [T0, T0 + 1000 * MINUTE_MS, T0 + 2000 * MINUTE_MS])
  t.ok(ex.requests.every((r) => r.limit === KLINE_PAGE && r.endTime === T0 + N * MINUTE_MS && r.interval === '1m'))
  t.same(pages.map((p) => p.candles.length), [1000, 1000, 500])
  const ts = pages.flatMap((p) => p.candles.map((c) => c.ts))
  t.same(ts, Array.from({ length: N }, (_, i) => T0 + i * MINUTE_MS), 'every bar once, oldest first')
})

t.test('a full last page ending at `to` asks for nothing after it', async (t) => {
  const ex = new FakeExchange(minuteCandles('BTCUSDT', T0, T0 + 3000 * MINUTE_MS), T0 + 3000 * MINUTE_MS)
  const pages = await collect(fetchClosedKlines(ex, { symbol: 'BTCUSDT', interval: '1m', from: T0, to: T0 + 1999 * MINUTE_MS, serverTime: ex.serverNow, log: silentLog }))
  t.equal(ex.requests.length, 2)
  t.same(pages.map((p) => p.received), [1000, 1000])
})

t.test('an empty range asks nothing', async (t) => {
  const ex = new FakeExchange([], T0)
  t.same(await collect(fetchClosedKlines(ex, { symbol: 'BTCUSDT', interval: '1m', from: T0 + MINUTE_MS, to: T0, serverTime: T0, log: silentLog })), [])
  t.equal(ex.requests.length, 0)
})

t.test('bars not closed at the exchange time are left out but counted as received', async (t) => {
  const ex = new FakeExchange(minuteCandles('BTCUSDT', T0, T0 + 10 * MINUTE_MS), T0 + 7 * MINUTE_MS + 30_000)
  const [page] = await collect(fetchClosedKlines(ex, { symbol: 'BTCUSDT', interval: '1m', from: T0, to: T0 + 9 * MINUTE_MS, serverTime: ex.serverNow, log: silentLog }))
  t.equal(page!.received, 10)
  t.same(page!.candles.map((c) => (c.ts - T0) / MINUTE_MS), [0, 1, 2, 3, 4, 5, 6], 'the bar open at the exchange time and later ones are forming')
  t.equal(page!.rejected, 0)
})

t.test('invalid candles are rejected, counted and logged; the rest of the page is kept', async (t) => {
  const candles = minuteCandles('BTCUSDT', T0, T0 + 5 * MINUTE_MS)
  candles[1] = { ...candles[1]!, close: -1 }
  candles[3] = { ...candles[3]!, volume: Number.NaN }
  const ex = new FakeExchange(candles, T0 + 5 * MINUTE_MS)
  const log = recordingLog()
  const [page] = await collect(fetchClosedKlines(ex, { symbol: 'BTCUSDT', interval: '1m', from: T0, to: T0 + 4 * MINUTE_MS, serverTime: ex.serverNow, log }))
  t.same(page!.candles.map((c) => (c.ts - T0) / MINUTE_MS), [0, 2, 4])
  t.equal(page!.rejected, 2)
  t.same(log.warnings.map((w) => [w.msg, (w.obj as { ts: number }).ts]), [
    ['rejected an invalid kline from REST', T0 + MINUTE_MS],
    ['rejected an invalid kline from REST', T0 + 3 * MINUTE_MS]
  ])
})

t.test('the next page is asked before the caller is done with the current one', async (t) => {
  const ex = new FakeExchange(minuteCandles('BTCUSDT', T0, T0 + N * MINUTE_MS), T0 + N * MINUTE_MS)
  const pages = fetchClosedKlines(ex, { symbol: 'BTCUSDT', interval: '1m', from: T0, to: T0 + N * MINUTE_MS, serverTime: ex.serverNow, log: silentLog })
  await pages.next()
  t.equal(ex.requests.length, 2, 'page 2 is on its way while page 1 is handled')
  await pages.return(undefined)
})

t.test('an abort ends the paging at once, dropping the page on its way', async (t) => {
  const ex = new FakeExchange(minuteCandles('BTCUSDT', T0, T0 + N * MINUTE_MS), T0 + N * MINUTE_MS)
  const ac = new AbortController()
  let open!: () => void
  const held = new Promise<void>((resolve) => { open = resolve })
  ex.gate = (req) => (req.startTime ?? 0) > T0 ? held : undefined
  const pages = fetchClosedKlines(ex, { symbol: 'BTCUSDT', interval: '1m', from: T0, to: T0 + N * MINUTE_MS, serverTime: ex.serverNow, log: silentLog, signal: ac.signal })
  t.equal((await pages.next()).done, false)
  const second = pages.next()
  ac.abort()
  t.same(await second, { done: true, value: undefined }, 'no page after the abort')
  open()
  t.equal(ex.requests.length, 2, 'nothing asked after the abort')
  const none = await collect(fetchClosedKlines(ex, { symbol: 'BTCUSDT', interval: '1m', from: T0, to: T0 + N * MINUTE_MS, serverTime: ex.serverNow, log: silentLog, signal: ac.signal }))
  t.same(none, [])
  t.equal(ex.requests.length, 2, 'an aborted signal asks nothing at all')
})

t.test('a failed page request is thrown to the caller', async (t) => {
  const ex = new FakeExchange(minuteCandles('BTCUSDT', T0, T0 + N * MINUTE_MS), T0 + N * MINUTE_MS)
  const pages = fetchClosedKlines(ex, { symbol: 'BTCUSDT', interval: '1m', from: T0, to: T0 + N * MINUTE_MS, serverTime: ex.serverNow, log: silentLog })
  ex.failWith = new Error('exchange down')
  await t.rejects(pages.next(), /exchange down/)
})
