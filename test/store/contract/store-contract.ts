// One contract for every CandleStore engine: the same writes, reads, roll-ups, gaps, deletes,
// retention, CSV imports and streams must give the same answers whatever stores them. Each
// engine's test file runs it with a factory that opens an empty store of its kind.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import type { Candle, CandleTuple } from '../../../src/domain/candle.js'
import { DAY_MS, HOUR_MS, INTERVALS, MINUTE_MS, addBuckets, type Interval } from '../../../src/domain/intervals.js'
import { minuteCandles } from '../../../src/exchange/simulator/price-model.js'
import type { CandleStore, WriteInfo } from '../../../src/store/candle-store.js'
import { applyRetention } from '../../../src/store/retention.js'
import { T0, tempDir } from '../../helpers.js'
import { EXPECTED_ODD, EXPECTED_ODD_BARS, oddCsvLines } from './odd-csv-lines.js'
import { referenceBars } from './reference-bars.js'

export type StoreFactory = (t: Test) => Promise<CandleStore>

const SYM = 'BTCUSDT'
const candle = (ts: number, p: Partial<Candle> = {}): Candle =>
  ({ symbol: SYM, interval: '1m', ts, open: 100, high: 110, low: 90, close: 105, volume: 1.5, ...p })

/** Volumes and prices at the edges of what a double and an 8-place decimal hold. */
const EDGE_VOLUMES = [0, 0.1, 0.3, 1e-8, 5e-9, 1.5e-8, 2.5e-8, 4.9999999e-9, 0.123456785, 12345678.12345678,
  99999999.99999999, 123456789012.12344, 92233720368.54776, 1e12 + 0.5, 3.3e14, 7e15, 1e17 + 12345, 0.000123456789]

async function all (store: CandleStore, interval: Interval, symbol = SYM): Promise<CandleTuple[]> {
  const out: CandleTuple[] = []
  for await (const page of store.streamCandles({ symbol, interval }, 500)) out.push(...page)
  return out
}

export function storeContract (t: Test, open: StoreFactory): void {
  t.test('writes, then every interval rolls up from 1m as the reference says', async (t) => {
    const store = await open(t)
    // 9 days from a Monday, crossing a week and a month boundary, with a hole of 3 hours.
    const from = Date.UTC(2024, 0, 27)
    const candles = minuteCandles(SYM, from, from + 9 * DAY_MS).filter((c) => c.ts < from + DAY_MS || c.ts >= from + DAY_MS + 3 * HOUR_MS)
    t.same(await store.upsertBatch(candles), { rows: candles.length, symbols: [SYM] })
    for (const interval of INTERVALS) {
      t.same(await all(store, interval), referenceBars(candles, interval), `${interval}: every bar`)
    }
    t.same(store.listSymbols(), [SYM])
    t.ok(store.hasSymbol(SYM))
    t.notOk(store.hasSymbol('ETHUSDT'))
    t.same(store.storedRange(SYM, '1m'), { first: candles[0]!.ts, last: candles[candles.length - 1]!.ts })
    t.equal(store.storedRange(SYM, '1h'), undefined, '1h is rolled up, not stored')
    const ranges = await store.intervalRanges(SYM)
    t.same(ranges[0], { interval: '1m', first: candles[0]!.ts, last: candles[candles.length - 1]!.ts, native: true, count: candles.length })
    t.same(ranges.find((r) => r.interval === '1d'), { interval: '1d', first: from, last: from + 8 * DAY_MS, native: false })
    t.same(ranges.map((r) => r.interval), INTERVALS)
  })

  t.test('windows: latest, from, to, both, limits, over holes', async (t) => {
    const store = await open(t)
    const candles = minuteCandles(SYM, T0, T0 + DAY_MS).filter((c) => c.ts % (7 * MINUTE_MS) !== 0)
    await store.upsertBatch(candles)
    for (const interval of ['1m', '5m', '1h'] as Interval[]) {
      const bars = referenceBars(candles, interval)
      t.same(await store.getCandles({ symbol: SYM, interval, limit: 10 }), bars.slice(-10), `${interval} latest`)
      const mid = bars[20]![0]
      t.same(await store.getCandles({ symbol: SYM, interval, from: mid, limit: 7 }), bars.slice(20, 27), `${interval} from`)
      t.same(await store.getCandles({ symbol: SYM, interval, to: mid, limit: 7 }), bars.slice(14, 21), `${interval} to`)
      t.same(await store.getCandles({ symbol: SYM, interval, from: mid + 1, to: bars[22]![0] + 1, limit: 100 }), bars.slice(21, 23), `${interval} both, unaligned bounds`)
      t.same(await store.getCandles({ symbol: SYM, interval, from: T0 - DAY_MS, to: T0 - 1, limit: 5 }), [], `${interval} before everything`)
    }
    t.same(await store.getCandles({ symbol: 'NOPE', interval: '1m', limit: 5 }), [])
    t.same(store.servedSpan({ symbol: SYM, interval: '1h', from: T0 + 1 }), { first: T0 + HOUR_MS, last: T0 + 23 * HOUR_MS })
    t.equal(store.servedSpan({ symbol: 'NOPE', interval: '1h' }), undefined)
    const pages: number[] = []
    for await (const page of store.streamCandles({ symbol: SYM, interval: '1m', from: T0 + HOUR_MS, to: T0 + 2 * HOUR_MS }, 25)) pages.push(page.length)
    t.same(pages, [25, 25, 2], 'pages of at most pageRows over the 52 stored minutes of [1h, 2h]')
  })

  t.test('a candle written again replaces the stored one, and its hour follows', async (t) => {
    const store = await open(t)
    const candles = minuteCandles(SYM, T0, T0 + 3 * HOUR_MS)
    await store.upsertBatch(candles)
    const changed = { ...candles[70]!, high: 1e6, volume: 123.456 }
    await store.upsertBatch([changed])
    t.same(await store.getCandles({ symbol: SYM, interval: '1m', from: changed.ts, limit: 1 }), [[changed.ts, changed.open, 1e6, changed.low, changed.close, 123.456]])
    const expected = referenceBars([...candles, changed], '1h')
    t.same(await store.getCandles({ symbol: SYM, interval: '1h', limit: 10 }), expected)
    t.equal(expected[1]![2], 1e6)
    // Duplicates within one batch: the last one wins.
    await store.upsertBatch([{ ...candles[5]!, close: 1 }, { ...candles[5]!, close: 2, low: 1 }, { ...candles[6]!, volume: 9 }])
    t.same((await store.getCandles({ symbol: SYM, interval: '1m', from: candles[5]!.ts, limit: 2 })).map((b) => [b[4], b[5]]),
      [[2, candles[5]!.volume], [candles[6]!.close, 9]])
  })

  t.test('live closes one minute at a time keep the hours and the bar so far in step', async (t) => {
    const store = await open(t)
    const candles = minuteCandles(SYM, T0, T0 + 150 * MINUTE_MS)
    await store.upsertBatch(candles.slice(0, 30))
    const seen: Array<[string[], WriteInfo]> = []
    const off = store.onWrite((symbols, info) => seen.push([[...symbols], info]))
    for (const c of candles.slice(30)) await store.upsertBatch([c])
    off()
    t.equal(seen.length, 120)
    t.same(seen[0]![0], [SYM])
    t.equal(seen[0]![1].rows, 1)
    await store.upsertBatch(candles.slice(149))
    t.equal(seen.length, 120, 'a removed listener hears nothing')
    for (const interval of ['1h', '4h', '1d', '1w', '1M', '15m'] as Interval[]) {
      t.same(await all(store, interval), referenceBars(candles, interval), interval)
    }
    const so = await store.barSoFar(SYM, '1h', T0 + 2 * HOUR_MS)
    t.same(so, { bar: referenceBars(candles, '1h')[2], lastMinute: candles[149]!.ts })
    t.same((await store.barSoFar(SYM, '5m', T0 + 145 * MINUTE_MS))?.lastMinute, candles[149]!.ts)
    t.equal(await store.barSoFar(SYM, '1h', T0 + 5 * HOUR_MS), undefined)
  })

  t.test('edge volumes and prices come back exactly, alone and summed', async (t) => {
    const store = await open(t)
    const candles = EDGE_VOLUMES.map((volume, i) => candle(T0 + i * MINUTE_MS, {
      volume, open: i === 0 ? 1e-8 : 0.1 * i, high: 1e15, low: i === 1 ? 0 : 5e-324, close: 0.30000000000000004
    }))
    // And a second series of the same volumes, written one by one, then in a batch over them.
    await store.upsertBatch(candles)
    const ETH = candles.map((c) => ({ ...c, symbol: 'ETHUSDT' }))
    for (const c of ETH) await store.upsertBatch([c])
    t.same(await store.getCandles({ symbol: SYM, interval: '1m', limit: 100 }), referenceBars(candles, '1m'))
    for (const interval of ['3m', '5m', '1h', '1d', '1M'] as Interval[]) {
      const expected = referenceBars(candles, interval)
      t.same(await store.getCandles({ symbol: SYM, interval, limit: 100 }), expected, `${interval} batch`)
      t.same(await store.getCandles({ symbol: 'ETHUSDT', interval, limit: 100 }), expected, `${interval} one by one`)
    }
    t.same((await store.barSoFar('ETHUSDT', '1d', T0))?.bar, referenceBars(candles, '1d')[0])
  })

  t.test('natively stored intervals are served as stored, beside rolled-up ones', async (t) => {
    const store = await open(t)
    const days = [0, 1, 2, 4].map((d) => ({ ...candle(T0 + d * DAY_MS), interval: '1d' as Interval, volume: 1000 + d }))
    await store.upsertBatch(days)
    await store.upsertBatch(minuteCandles(SYM, T0, T0 + 2 * HOUR_MS))
    t.same(await store.getCandles({ symbol: SYM, interval: '1d', limit: 10 }), days.map((c) => [c.ts, c.open, c.high, c.low, c.close, c.volume]))
    t.same(store.storedRange(SYM, '1d'), { first: T0, last: T0 + 4 * DAY_MS })
    t.same((await store.intervalRanges(SYM)).find((r) => r.interval === '1d'), { interval: '1d', first: T0, last: T0 + 4 * DAY_MS, native: true, count: 4 })
    t.same(await store.findGaps(SYM, '1d', T0 - DAY_MS, T0 + 6 * DAY_MS), [
      { first: T0 - DAY_MS, last: T0 - DAY_MS }, { first: T0 + 3 * DAY_MS, last: T0 + 3 * DAY_MS }, { first: T0 + 5 * DAY_MS, last: T0 + 6 * DAY_MS }
    ])
    t.same(await store.deleteRange(SYM, '1d', T0 + DAY_MS, T0 + 2 * DAY_MS), 2)
    t.same(store.storedRange(SYM, '1d'), { first: T0, last: T0 + 4 * DAY_MS })
    t.same(await store.deleteRange(SYM, '1d', T0 + 3 * DAY_MS, T0 + 9 * DAY_MS), 1)
    t.same(store.storedRange(SYM, '1d'), { first: T0, last: T0 })
    t.same(await store.deleteRange(SYM, '1d', T0, T0), 1)
    t.equal(store.storedRange(SYM, '1d'), undefined)
    t.same((await store.getCandles({ symbol: SYM, interval: '1d', limit: 10 })).length, 1, 'rolled up from 1m again')
  })

  t.test('gaps of 1m: before, between and after the stored minutes', async (t) => {
    const store = await open(t)
    const candles = minuteCandles(SYM, T0, T0 + 60 * MINUTE_MS).filter((c) => ![10, 11, 12, 30].includes((c.ts - T0) / MINUTE_MS))
    await store.upsertBatch(candles)
    const m = (n: number) => T0 + n * MINUTE_MS
    t.same(await store.findGaps(SYM, '1m', m(-2), m(61) + 5), [
      { first: m(-2), last: m(-1) }, { first: m(10), last: m(12) }, { first: m(30), last: m(30) }, { first: m(60), last: m(61) }
    ])
    t.same(await store.findGaps(SYM, '1m', m(1) - 1, m(9)), [])
    t.same(await store.findGaps(SYM, '1m', m(5) + 1, m(5) + 2), [], 'no minute opens in the window')
    t.same(await store.findGaps('NOPE', '1m', m(0), m(1)), [{ first: m(0), last: m(1) }])
    await t.rejects(store.findGaps(SYM, '1M', m(0), m(1)), /fixed-width/)
  })

  t.test('deleting minutes recomputes their hours; retention drops what is older than its cutoff', async (t) => {
    const store = await open(t)
    const candles = minuteCandles(SYM, T0, T0 + 2 * DAY_MS)
    const eth = minuteCandles('ETHUSDT', T0 + DAY_MS, T0 + 2 * DAY_MS)
    const daily = { ...candle(T0), interval: '1d' as Interval }
    await store.upsertBatch([...candles, ...eth, daily])
    const seen: string[][] = []
    store.onWrite((symbols, info) => { if (info.rows === 0) seen.push([...symbols]) })
    const from = T0 + 90 * MINUTE_MS
    const to = T0 + 200 * MINUTE_MS
    t.equal(await store.deleteRange(SYM, '1m', from, to), 111)
    t.equal(await store.deleteRange(SYM, '1m', from, to), 0, 'nothing left to delete')
    t.same(seen, [[SYM]], 'a deletion is told once, and only when rows went')
    const kept = candles.filter((c) => c.ts < from || c.ts > to)
    // 12h, not 1d: 1d is stored natively here.
    for (const interval of ['1m', '30m', '1h', '12h'] as Interval[]) t.same(await all(store, interval), referenceBars(kept, interval), interval)
    const cutoff = T0 + DAY_MS + 30 * MINUTE_MS
    const now = cutoff + 3 * DAY_MS
    const result = await applyRetention(store, { '*': 3, '1d': 100 }, now)
    const older = kept.filter((c) => c.ts < cutoff).length + eth.filter((c) => c.ts < cutoff).length
    t.equal(result.deleted, older)
    t.same(store.storedRange(SYM, '1m'), { first: cutoff, last: candles[candles.length - 1]!.ts })
    t.same(store.storedRange(SYM, '1d'), { first: T0, last: T0 }, '1d keeps its own window')
    for (const interval of ['1m', '1h', '12h'] as Interval[]) {
      t.same(await all(store, interval), referenceBars(kept.filter((c) => c.ts >= cutoff), interval), interval)
    }
    t.equal(await store.deleteOlderThan(undefined, T0 + 10 * DAY_MS), candles.filter((c) => c.ts >= cutoff).length + eth.filter((c) => c.ts >= cutoff).length + 1)
    t.same(store.listSymbols(), [])
    t.same(await store.intervalRanges(SYM), [])
  })

  t.test('archive CSVs: valid lines stored through the write path, invalid ones counted by reason', async (t) => {
    const store = await open(t)
    const dir = tempDir(t)
    const minutes = minuteCandles(SYM, T0, T0 + 90 * MINUTE_MS)
    const line = (c: Candle, ts: string | number = c.ts) => [ts, c.open, c.high, c.low, c.close, c.volume, c.ts + 59_999, 1, 2, 3, 4, 0].join(',')
    const a = join(dir, 'BTCUSDT-1m-a.csv')
    writeFileSync(a, [
      'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore',
      ...minutes.slice(0, 60).map((c) => line(c)),
      line(minutes[3]!), // a repeated key
      '', // an empty line is no line
      '1704067200000,1,2',
      `${T0 + 30_000},1,2,0.5,1.5,10,0,0,0,0,0,0`,
      'abc,1,2,0.5,1.5,10,0,0,0,0,0,0',
      `${T0},x,2,0.5,1.5,10,0,0,0,0,0,0`,
      `${T0},1,2,0.5,-1.5,10,0,0,0,0,0,0`,
      `${T0},1,1,0.5,1.5,10,0,0,0,0,0,0`,
      `${T0},1,2,1.2,1.5,10,0,0,0,0,0,0`,
      `${T0},1,2,0.5,1.5,nan,0,0,0,0,0,0`
    ].join('\n') + '\n')
    const b = join(dir, 'BTCUSDT-1m-b.csv')
    writeFileSync(b, minutes.slice(60).map((c) => line(c, c.ts * 1000)).join('\r\n') + '\r\n')
    const results = await store.loadKlineCsv([{ path: a, symbol: SYM, interval: '1m', skipLines: 1 }, { path: b, symbol: SYM, interval: '1m' }])
    t.same(results.map((r) => ({ rows: r.rows, stored: r.stored, rejected: Object.fromEntries(r.rejected) })), [
      {
        rows: 69,
        stored: 60,
        rejected: {
          'fewer than 6 fields': 1,
          'open time is not aligned to 1m': 1,
          'open time is not epoch milliseconds or microseconds': 1,
          'open is not a finite number': 1,
          'close is negative': 1,
          'high is below open or close': 1,
          'low is above open or close': 1,
          'volume is not a finite number': 1
        }
      },
      { rows: 30, stored: 30, rejected: {} }
    ])
    for (const interval of ['1m', '5m', '1h'] as Interval[]) t.same(await all(store, interval), referenceBars(minutes, interval), interval)
    // Loaded again over what is stored: nothing changes, the lines still count.
    const again = await store.loadKlineCsv([{ path: b, symbol: SYM, interval: '1m' }])
    t.equal(again[0]!.stored, 30)
    t.same(await all(store, '1h'), referenceBars(minutes, '1h'))
  })

  t.test('archive fields read leniently, as DuckDB casts text: whitespace, underscores, exponents, overflow', async (t) => {
    const store = await open(t)
    const path = join(tempDir(t), 'BTCUSDT-1m-odd.csv')
    writeFileSync(path, oddCsvLines())
    const [r] = await store.loadKlineCsv([{ path, symbol: SYM, interval: '1m' }])
    t.same({ rows: r!.rows, stored: r!.stored, rejected: Object.fromEntries([...r!.rejected].sort()) }, EXPECTED_ODD)
    const bars = await store.getCandles({ symbol: SYM, interval: '1m', from: 0, limit: 1000 })
    t.same(bars.map((b) => [(b[0] - T0) / MINUTE_MS, b[1], b[5]]), EXPECTED_ODD_BARS)
  })

  t.test('remote writes and index reloads replace the ranges and tell the listeners', async (t) => {
    const store = await open(t)
    if (store.applyRemoteWrite === undefined || store.reloadIndex === undefined) {
      t.pass('a store only its own process writes leaves these out')
      return
    }
    await store.upsertBatch(minuteCandles(SYM, T0, T0 + 10 * MINUTE_MS))
    const seen: Array<[string[], boolean | undefined]> = []
    store.onWrite((symbols, info) => seen.push([[...symbols], info.remote]))
    store.applyRemoteWrite([SYM, 'ETHUSDT'], [{ symbol: 'ETHUSDT', interval: '1m', first: T0, last: T0 + MINUTE_MS }])
    t.equal(store.hasSymbol(SYM), false, 'a symbol listed without ranges has none left')
    t.same(store.storedRange('ETHUSDT', '1m'), { first: T0, last: T0 + MINUTE_MS })
    await store.reloadIndex()
    t.same(store.storedRange(SYM, '1m'), { first: T0, last: T0 + 9 * MINUTE_MS }, 'storage is the truth')
    t.equal(store.hasSymbol('ETHUSDT'), false)
    t.same(seen, [[[SYM, 'ETHUSDT'], true], [['ETHUSDT', SYM], true]])
  })

  t.test('an aborted read rejects with its reason; a closed store rejects everything', async (t) => {
    const store = await open(t)
    await store.upsertBatch(minuteCandles(SYM, T0, T0 + 10 * MINUTE_MS))
    const aborted = new AbortController()
    aborted.abort(new Error('client left'))
    await t.rejects(store.getCandles({ symbol: SYM, interval: '1m', limit: 5 }, aborted.signal), /client left/)
    t.equal((await store.getCandles({ symbol: SYM, interval: '1m', limit: 5 }, new AbortController().signal)).length, 5)
    await store.ping()
    await store.checkpoint()
    await store.close()
    await store.close()
    await t.rejects(store.getCandles({ symbol: SYM, interval: '1m', limit: 5 }), /closed/)
    await t.rejects(store.upsertBatch([candle(T0 + DAY_MS)]), /closed/)
    t.equal(addBuckets('1m', T0, 1), T0 + MINUTE_MS)
  })
}
