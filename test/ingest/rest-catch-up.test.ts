import t from 'tap'
import type { Candle } from '../../src/domain/candle.js'
import { MINUTE_MS } from '../../src/domain/intervals.js'
import { minuteCandles } from '../../src/exchange/simulator/price-model.js'
import { BatchWriter } from '../../src/ingest/batch-writer.js'
import { IngestHealth } from '../../src/ingest/ingest-health.js'
import { ExchangeReach } from '../../src/ingest/exchange-reach.js'
import { RestCatchUp, mergeRanges, type CatchUpProgress } from '../../src/ingest/rest-catch-up.js'
import { silentLog } from '../../src/log.js'
import type { CandleStore } from '../../src/store/candle-store.js'
import { memoryStore, type Teardown } from '../helpers.js'
import { FakeExchange } from './fake-exchange.js'

const T0 = Date.UTC(2024, 0, 1)
const HOUR = 60 * MINUTE_MS
/** The exchange's time: 30 s into the minute opening at T0 + 10 h. */
const NOW = T0 + 10 * HOUR + 30_000
const TRUTH = minuteCandles('BTCUSDT', T0, NOW + MINUTE_MS)

async function setup (t: Teardown, store?: CandleStore) {
  const ex = new FakeExchange(TRUTH, NOW)
  const db = store ?? await memoryStore(t)
  const published: Candle[] = []
  const counters = new IngestHealth({ reach: new ExchangeReach({ log: silentLog }) }).counters
  const catchUp = new RestCatchUp({
    exchange: ex,
    store: db,
    writer: new BatchWriter(db),
    log: silentLog,
    lookbackMs: 3 * HOUR,
    publishLimit: 5,
    publish: (c) => published.push(c),
    counters,
    signal: new AbortController().signal
  })
  return { ex, store: db, published, counters, catchUp }
}

async function storedTs (store: CandleStore, from: number, to: number): Promise<number[]> {
  return (await store.getCandles({ symbol: 'BTCUSDT', interval: '1m', from, to, limit: 10_000 })).map((r) => r[0])
}

const minutes = (from: number, to: number): number[] => Array.from({ length: (to - from) / MINUTE_MS + 1 }, (_, i) => from + i * MINUTE_MS)

t.test('an empty symbol gets the lookback up to the last closed minute; only the newest are published', async (t) => {
  const { store, published, counters, catchUp } = await setup(t)
  const s: CatchUpProgress = { symbol: 'BTCUSDT', holes: [] }
  const stored = await catchUp.catchUp(s, NOW)
  const lastClosed = T0 + 10 * HOUR - MINUTE_MS
  t.equal(stored, 180)
  t.equal(s.lastClosed, lastClosed)
  t.same(await storedTs(store, T0, NOW), minutes(T0 + 7 * HOUR, lastClosed))
  t.same(published.map((c) => c.ts), minutes(lastClosed - 4 * MINUTE_MS, lastClosed), 'the publish limit, oldest first')
  t.equal(counters.rest_catchup_candles_total, 180)
})

t.test('a stored symbol resumes after its last candle and repairs the holes inside the lookback', async (t) => {
  const { ex, store, catchUp } = await setup(t)
  const have = TRUTH.filter((c) => c.ts >= T0 + 6 * HOUR && c.ts <= T0 + 9 * HOUR && (c.ts < T0 + 8 * HOUR || c.ts >= T0 + 8 * HOUR + 10 * MINUTE_MS))
  await store.upsertBatch(have)
  const s: CatchUpProgress = { symbol: 'BTCUSDT', lastClosed: T0 + 9 * HOUR, holes: [{ first: T0 + 6 * HOUR, last: T0 + 6 * HOUR }] }
  const stored = await catchUp.catchUp(s, NOW)
  t.equal(stored, 1 + 10 + 59, 'the failed repair, the stored hole and the minutes since the last candle')
  t.same(await storedTs(store, T0 + 7 * HOUR, NOW), minutes(T0 + 7 * HOUR, T0 + 10 * HOUR - MINUTE_MS))
  t.same(s.holes, [])
  t.same(ex.requests.map((r) => [r.startTime, r.endTime]), [
    [T0 + 6 * HOUR, T0 + 6 * HOUR],
    [T0 + 8 * HOUR, T0 + 8 * HOUR + 9 * MINUTE_MS],
    [T0 + 9 * HOUR + MINUTE_MS, T0 + 10 * HOUR - MINUTE_MS]
  ], 'nothing asked that is stored')
})

t.test('what was stored before a failure is published, and the failure is thrown', async (t) => {
  const { ex, published, catchUp } = await setup(t)
  ex.gate = (req) => {
    if ((req.startTime ?? 0) > T0 + 8 * HOUR) ex.failWith = new Error('exchange down')
    return undefined
  }
  const s: CatchUpProgress = { symbol: 'BTCUSDT', lastClosed: T0 + 8 * HOUR, holes: [{ first: T0 + 7 * HOUR, last: T0 + 7 * HOUR + MINUTE_MS }] }
  await t.rejects(catchUp.catchUp(s, NOW), /exchange down/)
  // Nothing is stored, so the whole window up to the last candle is one hole with the failed repair.
  t.same(published.map((c) => c.ts), minutes(T0 + 8 * HOUR - 4 * MINUTE_MS, T0 + 8 * HOUR), 'the newest of the repaired window')
  t.equal(s.lastClosed, T0 + 8 * HOUR, 'repairs before the last candle do not move it')
  t.equal(ex.requests.length, 2, 'the window, then the failed page after the last candle')
})

t.test('repair fills the hole a closed kline revealed and publishes it', async (t) => {
  const { store, published, catchUp } = await setup(t)
  const s: CatchUpProgress = { symbol: 'BTCUSDT', lastClosed: T0 + 9 * HOUR, holes: [] }
  const hole = { first: T0 + 9 * HOUR + MINUTE_MS, last: T0 + 9 * HOUR + 3 * MINUTE_MS }
  await catchUp.repair(s, hole, T0 + 9 * HOUR + 5 * MINUTE_MS)
  t.same(await storedTs(store, T0, NOW), minutes(hole.first, hole.last))
  t.same(published.map((c) => c.ts), minutes(hole.first, hole.last))
  t.equal(s.lastClosed, hole.last)
})

t.test('mergeRanges sorts and joins overlapping and adjacent minute ranges', async (t) => {
  const r = (a: number, b: number) => ({ first: T0 + a * MINUTE_MS, last: T0 + b * MINUTE_MS })
  t.same(mergeRanges([r(10, 12), r(0, 2), r(3, 4), r(11, 20), r(30, 30)]), [r(0, 4), r(10, 20), r(30, 30)])
  t.same(mergeRanges([]), [])
  const input = [r(0, 1), r(1, 2)]
  mergeRanges(input)
  t.same(input, [r(0, 1), r(1, 2)], 'the input is left alone')
})
