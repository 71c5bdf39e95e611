// The engine-neutral roll-up rules: which intervals read hourly roll-ups, bucket rules, the source
// window of a read, what a read is served from, and the hourly upkeep of a write, checked by
// applying the upkeep to a model of the roll-ups and comparing it with a recomputation from every
// stored minute after each write of any sequence.
import fc from 'fast-check'
import t from 'tap'
import { HOUR_MS, INTERVALS, MINUTE_MS, WEEK_ORIGIN_MS } from '../../src/domain/intervals.js'
import {
  bucketRule, hourOf, hourUpkeep, hoursTouched, rollupBase, servingSource, sourceWindow, type HourUpkeep
} from '../../src/store/rollup-plan.js'
import { SeriesIndex } from '../../src/store/series-index.js'
import { planWrite, seriesSpans } from '../../src/store/write-batch.js'
import type { Candle } from '../../src/domain/candle.js'

t.test('whole-hour intervals and 1M read hourly roll-ups, the others minutes', async (t) => {
  const fromHours = INTERVALS.filter((i) => rollupBase(i) === '1h')
  t.same(fromHours, ['1h', '2h', '4h', '6h', '8h', '12h', '1d', '1w', '1M'])
  t.same(INTERVALS.filter((i) => rollupBase(i) === '1m'), ['1m', '3m', '5m', '15m', '30m'])
})

t.test('bucket rules: fixed widths from the epoch, weeks from Monday, months by the calendar', async (t) => {
  t.same(bucketRule('15m'), { kind: 'fixed', width: 15 * MINUTE_MS, origin: 0 })
  t.same(bucketRule('1w'), { kind: 'fixed', width: 7 * 24 * HOUR_MS, origin: WEEK_ORIGIN_MS })
  t.same(bucketRule('1M'), { kind: 'month' })
})

t.test('the source window of bars [lo, hi] runs to the close of the bar opening at hi', async (t) => {
  t.same(sourceWindow('1h', 0, 2 * HOUR_MS), { first: 0, last: 3 * HOUR_MS - 1 })
  const feb = Date.UTC(2024, 1, 1)
  t.same(sourceWindow('1M', Date.UTC(2024, 0, 1), feb), { first: Date.UTC(2024, 0, 1), last: Date.UTC(2024, 2, 1) - 1 }, 'a leap February')
})

t.test('a series is served natively when stored as such, else rolled up over the bars its minutes span', async (t) => {
  const index = new SeriesIndex()
  t.equal(servingSource(index, 'BTCUSDT', '1h'), undefined, 'nothing stored')
  index.note('BTCUSDT', '1m', 90 * MINUTE_MS, 150 * MINUTE_MS)
  t.same(servingSource(index, 'BTCUSDT', '1m'), { native: true, range: { first: 90 * MINUTE_MS, last: 150 * MINUTE_MS } })
  t.same(servingSource(index, 'BTCUSDT', '1h'), {
    native: false, range: { first: HOUR_MS, last: 2 * HOUR_MS }, base: '1h', buckets: { kind: 'fixed', width: HOUR_MS, origin: 0 }
  })
  t.same(servingSource(index, 'BTCUSDT', '5m'), {
    native: false, range: { first: 90 * MINUTE_MS, last: 150 * MINUTE_MS }, base: '1m', buckets: { kind: 'fixed', width: 5 * MINUTE_MS, origin: 0 }
  })
  index.note('BTCUSDT', '1h', 0, HOUR_MS)
  t.same(servingSource(index, 'BTCUSDT', '1h'), { native: true, range: { first: 0, last: HOUR_MS } }, 'a native 1h series wins over roll-ups')
  index.note('ETHUSDT', '1h', 0, HOUR_MS)
  t.equal(servingSource(index, 'ETHUSDT', '4h'), undefined, 'only minutes are rolled up')
})

t.test('the hours a deletion touches', async (t) => {
  t.same(hoursTouched(HOUR_MS + 5 * MINUTE_MS, 3 * HOUR_MS), { fromHour: HOUR_MS, toHour: 3 * HOUR_MS })
  t.equal(hourOf(HOUR_MS - 1), 0)
})

interface Hour { open: number, high: number, low: number, close: number, volume: bigint, minutes: number, lastMinute: number }

/** Volumes of the model are exact, like the stores' decimal sums. */
const SCALE = 100_000_000
const scaled = (v: number) => BigInt(Math.round(v * SCALE))

function hourOfMinutes (minutes: readonly Candle[]): Hour {
  const sorted = [...minutes].sort((a, b) => a.ts - b.ts)
  return {
    open: sorted[0]!.open,
    high: Math.max(...sorted.map((c) => c.high)),
    low: Math.min(...sorted.map((c) => c.low)),
    close: sorted[sorted.length - 1]!.close,
    volume: sorted.reduce((v, c) => v + scaled(c.volume), 0n),
    minutes: sorted.length,
    lastMinute: sorted[sorted.length - 1]!.ts
  }
}

function recompute (stored: ReadonlyMap<number, Candle>, fromHour: number, toHour: number): Map<number, Hour> {
  const byHour = new Map<number, Candle[]>()
  for (const c of stored.values()) {
    const h = hourOf(c.ts)
    if (h >= fromHour && h <= toHour) byHour.set(h, [...(byHour.get(h) ?? []), c])
  }
  return new Map([...byHour].map(([h, cs]) => [h, hourOfMinutes(cs)]))
}

/** Applies one write's upkeep to the model, as a store does with its roll-up table. */
function apply (hours: Map<number, Hour>, stored: ReadonlyMap<number, Candle>, batch: readonly Candle[], upkeep: HourUpkeep): void {
  if (upkeep.kind === 'rebuild') {
    for (const [h, hour] of recompute(stored, upkeep.fromHour, upkeep.toHour)) hours.set(h, hour)
    return
  }
  if (upkeep.extendHour !== undefined) {
    const h = upkeep.extendHour
    const row = hours.get(h)!
    const add = hourOfMinutes(batch.filter((c) => hourOf(c.ts) === h))
    hours.set(h, {
      open: row.open,
      high: Math.max(row.high, add.high),
      low: Math.min(row.low, add.low),
      close: add.close,
      volume: row.volume + add.volume,
      minutes: row.minutes + add.minutes,
      lastMinute: add.lastMinute
    })
  }
  if (upkeep.insertFrom !== undefined) {
    const fresh = new Map<number, Candle>(batch.filter((c) => c.ts >= upkeep.insertFrom!).map((c) => [c.ts, c]))
    for (const [h, hour] of recompute(fresh, -Infinity, Infinity)) {
      if (hours.has(h)) throw new Error(`hour ${h} inserted twice`)
      hours.set(h, hour)
    }
  }
}

const price = fc.integer({ min: 1, max: 1000 })
const minute = fc.record({ at: fc.integer({ min: 0, max: 6 * 60 }), a: price, b: price, volume: fc.integer({ min: 0, max: 10 ** 9 }) })
  .map(({ at, a, b, volume }): Candle => ({
    symbol: 'BTCUSDT', interval: '1m', ts: at * MINUTE_MS, open: a, close: b, high: Math.max(a, b) + 1, low: Math.min(a, b), volume: volume / SCALE
  }))
/** Writes of a few minutes each, some later than everything stored (appends), some anywhere. */
const writes = fc.array(fc.oneof(
  fc.array(minute, { minLength: 1, maxLength: 90 }),
  fc.record({ offset: fc.integer({ min: 0, max: 3 * 60 }), length: fc.integer({ min: 1, max: 150 }), seed: minute })
    .map(({ offset, length, seed }) => ({ append: true as const, offset, length, seed }))
), { minLength: 1, maxLength: 8 })

t.test('after any sequence of writes, the upkept hourly roll-ups equal a recomputation from every minute', async () => {
  await fc.assert(fc.property(writes, (sequence) => {
    const stored = new Map<number, Candle>()
    const hours = new Map<number, Hour>()
    const index = new SeriesIndex()
    for (const w of sequence) {
      let batch: Candle[]
      if (Array.isArray(w)) {
        batch = [...new Map(w.map((c) => [c.ts, c])).values()]
      } else {
        const after = (index.range('BTCUSDT', '1m')?.last ?? -MINUTE_MS) + MINUTE_MS * (1 + w.offset)
        batch = Array.from({ length: w.length }, (_, i) => ({ ...w.seed, ts: after + i * MINUTE_MS }))
      }
      const [span] = seriesSpans(batch)
      const before = index.range('BTCUSDT', '1m')
      const plan = planWrite([span!], [before])
      for (const c of batch) stored.set(c.ts, c)
      apply(hours, stored, batch, hourUpkeep(span!, before, plan.appends[0]!))
      index.note('BTCUSDT', '1m', span!.first, span!.last)
      const expected = recompute(stored, -Infinity, Infinity)
      if (JSON.stringify([...hours].sort(([a], [b]) => a - b), (_, v) => typeof v === 'bigint' ? String(v) : v) !==
          JSON.stringify([...expected].sort(([a], [b]) => a - b), (_, v) => typeof v === 'bigint' ? String(v) : v)) return false
    }
    return true
  }))
})

t.test('an append reaching into the newest stored hour extends it; later hours are inserted', async (t) => {
  const stored = { first: 0, last: HOUR_MS + 10 * MINUTE_MS }
  const span = (first: number, last: number) => ({ symbol: 'X', interval: '1m' as const, first, last })
  t.same(hourUpkeep(span(HOUR_MS + 11 * MINUTE_MS, HOUR_MS + 20 * MINUTE_MS), stored, true), { kind: 'extend', extendHour: HOUR_MS })
  t.same(hourUpkeep(span(HOUR_MS + 11 * MINUTE_MS, 3 * HOUR_MS), stored, true), { kind: 'extend', extendHour: HOUR_MS, insertFrom: 2 * HOUR_MS })
  t.same(hourUpkeep(span(2 * HOUR_MS, 2 * HOUR_MS), stored, true), { kind: 'extend', insertFrom: 2 * HOUR_MS })
  t.same(hourUpkeep(span(5 * MINUTE_MS, 2 * HOUR_MS), undefined, true), { kind: 'extend', insertFrom: 0 }, 'a new series')
  t.same(hourUpkeep(span(5 * MINUTE_MS, 2 * HOUR_MS + 1), stored, false), { kind: 'rebuild', fromHour: 0, toHour: 2 * HOUR_MS })
})
