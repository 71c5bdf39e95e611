// Gap finding over runs of stored bars, against the definition checked bar by bar: a bar of the
// window is missing exactly when it is not stored, and the missing bars come back as maximal
// stretches in order.
import fc from 'fast-check'
import t from 'tap'
import { INTERVALS, fixedIntervalMs, type Interval } from '../../src/domain/intervals.js'
import type { TimeRange } from '../../src/store/candle-store.js'
import { gapWindow, missingRanges } from '../../src/store/gaps.js'

const MIN = 60_000

/** Maximal runs of one-step-apart bars among sorted opens. */
function runsOf (bars: readonly number[], step: number): TimeRange[] {
  const runs: TimeRange[] = []
  for (const ts of bars) {
    const last = runs[runs.length - 1]
    if (last !== undefined && ts - last.last === step) last.last = ts
    else runs.push({ first: ts, last: ts })
  }
  return runs
}

/** The missing bars of [lo, hi] grouped into stretches, one bar at a time. */
function naiveGaps (lo: number, hi: number, step: number, stored: ReadonlySet<number>): TimeRange[] {
  const out: TimeRange[] = []
  for (let ts = lo; ts <= hi; ts += step) {
    if (stored.has(ts)) continue
    const last = out[out.length - 1]
    if (last !== undefined && last.last === ts - step) last.last = ts
    else out.push({ first: ts, last: ts })
  }
  return out
}

t.test('the holes of any set of stored bars are the bars not stored, as maximal stretches', async () => {
  const step = MIN
  await fc.assert(fc.property(
    fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 200 }), fc.uniqueArray(fc.integer({ min: 0, max: 220 }), { maxLength: 150 }),
    (start, length, offsets) => {
      const lo = start * step
      const hi = lo + length * step
      const stored = [...new Set(offsets.map((o) => lo + o * step).filter((ts) => ts <= hi))].sort((a, b) => a - b)
      const got = missingRanges({ lo, hi, step }, runsOf(stored, step))
      return JSON.stringify(got) === JSON.stringify(naiveGaps(lo, hi, step, new Set(stored)))
    }))
})

t.test('runs may be split anywhere without changing the holes', async () => {
  const step = 5 * MIN
  await fc.assert(fc.property(
    fc.uniqueArray(fc.integer({ min: 0, max: 100 }), { maxLength: 60 }), fc.array(fc.boolean(), { minLength: 100, maxLength: 100 }),
    (offsets, cuts) => {
      const bars = offsets.map((o) => o * step).sort((a, b) => a - b)
      const split: TimeRange[] = []
      for (const [i, ts] of bars.entries()) {
        const last = split[split.length - 1]
        if (last !== undefined && ts - last.last === step && cuts[i] !== true) last.last = ts
        else split.push({ first: ts, last: ts })
      }
      const window = { lo: 0, hi: 100 * step, step }
      return JSON.stringify(missingRanges(window, split)) === JSON.stringify(missingRanges(window, runsOf(bars, step)))
    }))
})

t.test('an empty window, a full window, and the ends', async (t) => {
  const w = { lo: 10 * MIN, hi: 20 * MIN, step: MIN }
  t.same(missingRanges(w, []), [{ first: 10 * MIN, last: 20 * MIN }], 'nothing stored: the whole window')
  t.same(missingRanges(w, [{ first: 10 * MIN, last: 20 * MIN }]), [], 'everything stored: no hole')
  t.same(missingRanges(w, [{ first: 12 * MIN, last: 18 * MIN }]), [{ first: 10 * MIN, last: 11 * MIN }, { first: 19 * MIN, last: 20 * MIN }])
  t.same(missingRanges(w, [{ first: 10 * MIN, last: 10 * MIN }, { first: 10 * MIN + 30_000, last: 20 * MIN + 30_000 }]), [],
    'bars closer than a step leave no hole between them')
})

t.test('the window of a request: bar opens at or after from, at or before to', async (t) => {
  t.same(gapWindow('1m', 90_000, 300_000), { lo: 120_000, hi: 300_000, step: MIN })
  t.same(gapWindow('5m', 0, 299_999), { lo: 0, hi: 0, step: 5 * MIN })
  t.equal(gapWindow('1m', 61_000, 119_999), undefined, 'no bar opens in the range')
  t.same(gapWindow('1w', 0, 14 * 86_400_000), { lo: 4 * 86_400_000, hi: 11 * 86_400_000, step: 7 * 86_400_000 }, '1w opens on Mondays')
  t.throws(() => gapWindow('1M', 0, 1e12), { message: 'findGaps needs a fixed-width interval' })
  for (const interval of INTERVALS.filter((i): i is Interval => fixedIntervalMs(i) !== undefined)) {
    t.equal(gapWindow(interval, 0, 1e12)?.step, fixedIntervalMs(interval), `${interval} steps by its width`)
  }
})
