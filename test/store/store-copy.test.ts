// copyStore between two stores: every stored series, every field, roll-ups the target derives
// itself; an interrupted copy resumed without duplicates; an empty source; a target that already
// holds some of the bars; progress; and the same between DuckDB and PostgreSQL both ways.
import t, { type Test } from 'tap'
import type { Candle } from '../../src/domain/candle.js'
import { DAY_MS, HOUR_MS, INTERVALS } from '../../src/domain/intervals.js'
import { minuteCandles } from '../../src/exchange/simulator/price-model.js'
import type { CandleStore } from '../../src/store/candle-store.js'
import { openPostgresStore } from '../../src/store/postgres/postgres-candle-store.js'
import { copyStore, type CopyProgress } from '../../src/store/store-copy.js'
import { T0, memoryStore } from '../helpers.js'
import { postgresDatabase, postgresSkip } from '../services/postgres.js'

/** Bars of a series stored as such (an archive import of 1h, 1d or 1M), with distinct fields. */
function nativeBars (symbol: string, interval: '1h' | '1d' | '1M', opens: number[]): Candle[] {
  return opens.map((ts, i) => ({ symbol, interval, ts, open: 100 + i, high: 120.5 + i, low: 80.25 + i, close: 101 + i / 8, volume: 3.125 * (i + 1) }))
}

const MONTHS = [Date.UTC(2023, 10, 1), Date.UTC(2023, 11, 1), Date.UTC(2024, 0, 1)]

/** 1m of two symbols over two days, native 1h beside BTCUSDT's minutes, native 1d and 1M of a symbol without minutes. */
async function filledStore (store: CandleStore): Promise<CandleStore> {
  await store.upsertBatch(minuteCandles('BTCUSDT', T0, T0 + 2 * DAY_MS))
  await store.upsertBatch(minuteCandles('ETHUSDT', T0 + 3 * HOUR_MS, T0 + DAY_MS + 17 * 60_000))
  await store.upsertBatch(nativeBars('BTCUSDT', '1h', Array.from({ length: 30 }, (_, i) => T0 - (i + 1) * HOUR_MS)))
  await store.upsertBatch(nativeBars('SOLUSDT', '1d', Array.from({ length: 40 }, (_, i) => T0 + i * DAY_MS)))
  await store.upsertBatch(nativeBars('SOLUSDT', '1M', MONTHS))
  return store
}

async function everyBar (store: CandleStore, symbol: string, interval: typeof INTERVALS[number]): Promise<unknown[]> {
  const out: unknown[] = []
  for await (const page of store.streamCandles({ symbol, interval })) out.push(...page)
  return out
}

/** What a client can read: symbols, each interval's range (native or rolled up, with counts) and every bar. */
async function sameData (t: Test, target: CandleStore, source: CandleStore): Promise<void> {
  t.same(target.listSymbols(), source.listSymbols(), 'the same symbols')
  for (const symbol of source.listSymbols()) {
    t.same(await target.intervalRanges(symbol), await source.intervalRanges(symbol), `${symbol}: the same intervals, ranges and row counts`)
    for (const interval of INTERVALS) t.same(await everyBar(target, symbol, interval), await everyBar(source, symbol, interval), `${symbol} ${interval}`)
  }
}

t.test('a full copy equals the source, and a second run writes nothing', async (t) => {
  const source = await filledStore(await memoryStore(t))
  const target = await memoryStore(t)
  const report = await copyStore(source, target, { batchRows: 1000 })
  t.equal(report.total, 2880 + 1277 + 30 + 40 + 3)
  t.equal(report.copied, report.total)
  t.equal(report.interrupted, false)
  t.same(report.series.map((s) => `${s.symbol} ${s.interval} ${s.copied}/${s.source}`),
    ['BTCUSDT 1m 2880/2880', 'BTCUSDT 1h 30/30', 'ETHUSDT 1m 1277/1277', 'SOLUSDT 1d 40/40', 'SOLUSDT 1M 3/3'])
  await sameData(t, target, source)
  const again = await copyStore(source, target)
  t.equal(again.copied, 0, 'nothing is written twice')
  t.equal(again.total, report.total)
})

t.test('an empty source copies nothing', async (t) => {
  const target = await memoryStore(t)
  const progress: CopyProgress[] = []
  const report = await copyStore(await memoryStore(t), target, { onProgress: (p) => progress.push(p) })
  t.same({ ...report, elapsedMs: 0 }, { series: [], total: 0, copied: 0, interrupted: false, elapsedMs: 0 })
  t.same(progress, [])
  t.same(target.listSymbols(), [])
})

t.test('a copy stopped mid-way resumes where it stopped: the same data, no duplicates, no row written twice', async (t) => {
  const source = await filledStore(await memoryStore(t))
  const target = await memoryStore(t)
  const stop = new AbortController()
  const first = await copyStore(source, target, {
    batchRows: 500,
    signal: stop.signal,
    // Mid-way through ETHUSDT's minutes, after BTCUSDT's series are done.
    onProgress: (p) => { if (p.symbol === 'ETHUSDT' && p.copied >= 3410) stop.abort() }
  })
  t.equal(first.interrupted, true)
  t.equal(first.copied, 2880 + 30 + 500, 'stopped between batches')
  t.same(first.series.map((s) => s.copied), [2880, 30, 500, 0, 0])
  t.same(target.storedRange('ETHUSDT', '1m'), { first: T0 + 3 * HOUR_MS, last: T0 + 3 * HOUR_MS + 499 * 60_000 })
  t.notOk(target.hasSymbol('SOLUSDT'))

  const second = await copyStore(source, target, { batchRows: 500 })
  t.equal(second.interrupted, false)
  t.equal(second.copied, second.total - first.copied, 'only what the first run did not reach')
  t.same(second.series.map((s) => s.copied), [0, 0, 777, 40, 3])
  await sameData(t, target, source)
})

t.test('a target holding some of the bars already keeps them and gets the rest', async (t) => {
  const source = await filledStore(await memoryStore(t))
  const target = await memoryStore(t)
  // The target's own minutes: an hour inside the source's span with other prices, and a day after it.
  const own = (from: number, to: number) => minuteCandles('BTCUSDT', from, to, 7)
  const inside = own(T0 + 10 * HOUR_MS, T0 + 11 * HOUR_MS)
  const after = own(T0 + 3 * DAY_MS, T0 + 4 * DAY_MS)
  await target.upsertBatch([...inside, ...after])
  await target.upsertBatch(nativeBars('SOLUSDT', '1M', [MONTHS[1]!]).map((c) => ({ ...c, close: 1 })))
  const minutes: number[] = []
  const report = await copyStore(source, target, { batchRows: 1000, onProgress: (p) => { if (p.symbol === 'BTCUSDT' && p.interval === '1m') minutes.push(p.copied) } })
  t.equal(report.copied, report.total - 60 - 1)
  t.same(minutes, [1000, 2000, 2820, 2820], 'the two missing stretches in full batches, not one write per stretch')
  t.same(report.series.find((s) => s.interval === '1M'), { symbol: 'SOLUSDT', interval: '1M', source: 3, copied: 2 })
  const bars = await everyBar(target, 'BTCUSDT', '1m')
  const sourceBars = await everyBar(source, 'BTCUSDT', '1m') as number[][]
  t.equal(bars.length, 2880 + 1440, 'every key once')
  const held = new Map([...inside, ...after].map((c) => [c.ts, [c.ts, c.open, c.high, c.low, c.close, c.volume]]))
  t.same(bars, [...sourceBars.map((b) => held.get(b[0]!) ?? b), ...after.map((c) => held.get(c.ts))], 'the target\'s own bars are kept')
  t.same((await everyBar(target, 'SOLUSDT', '1M') as number[][]).map((b) => b[4]), [101, 1, 101.25])
  // The hourly roll-ups (which 1d bars are read from) follow the minutes the target ends with.
  const day = (bars as number[][]).filter((b) => b[0]! < T0 + DAY_MS)
  const [daily] = await target.getCandles({ symbol: 'BTCUSDT', interval: '1d', from: T0, limit: 1 })
  t.same(daily!.slice(0, 5), [T0, day[0]![1], Math.max(...day.map((b) => b[2]!)), Math.min(...day.map((b) => b[3]!)), day[day.length - 1]![4]])
})

t.test('progress: after every batch and every series, in order, ending at the total', async (t) => {
  const source = await filledStore(await memoryStore(t))
  const progress: CopyProgress[] = []
  const report = await copyStore(source, await memoryStore(t), { batchRows: 1000, onProgress: (p) => progress.push(p) })
  t.same(progress.map((p) => `${p.symbol} ${p.interval} ${p.done} ${p.copied}`), [
    'BTCUSDT 1m 1000 1000', 'BTCUSDT 1m 2000 2000', 'BTCUSDT 1m 2880 2880', 'BTCUSDT 1m 2880 2880',
    'BTCUSDT 1h 2910 2910', 'BTCUSDT 1h 2910 2910',
    'ETHUSDT 1m 3910 3910', 'ETHUSDT 1m 4187 4187', 'ETHUSDT 1m 4187 4187',
    'SOLUSDT 1d 4227 4227', 'SOLUSDT 1d 4227 4227',
    'SOLUSDT 1M 4230 4230', 'SOLUSDT 1M 4230 4230'
  ])
  t.ok(progress.every((p) => p.total === report.total && p.elapsedMs >= 0))
})

t.test('DuckDB to PostgreSQL and back, and a stopped copy into PostgreSQL resumed', { skip: postgresSkip() }, async (t) => {
  const source = await filledStore(await memoryStore(t))
  const pg = await openPostgresStore({ url: await postgresDatabase(t), poolSize: 2 })
  t.teardown(() => pg.close())
  const stop = new AbortController()
  const first = await copyStore(source, pg, { batchRows: 700, signal: stop.signal, onProgress: (p) => { if (p.copied >= 1400) stop.abort() } })
  t.equal(first.interrupted, true)
  t.equal(first.copied, 1400)
  const rest = await copyStore(source, pg, { batchRows: 700 })
  t.equal(rest.copied, rest.total - 1400)
  await sameData(t, pg, source)

  const back = await memoryStore(t)
  const report = await copyStore(pg, back)
  t.equal(report.copied, report.total)
  await sameData(t, back, source)
})
