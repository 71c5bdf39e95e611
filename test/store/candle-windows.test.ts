// The read planner and its widening window loop, against a naive selection written here: any
// request bounds over the full safe range (and beyond), any interval, sparse and dense stored bars.
// Every read must end within MAX_READ_ROUNDS queries and return what the naive selection returns.
import fc from 'fast-check'
import t from 'tap'
import type { CandleTuple } from '../../src/domain/candle.js'
import { INTERVALS, bucketDomain, bucketStart, fixedIntervalMs, type Interval } from '../../src/domain/intervals.js'
import { TIME_MAX_MS, TIME_MIN_MS } from '../../src/domain/time.js'
import { MAX_READ_ROUNDS, planRead, readWindowed, type Direction } from '../../src/store/candle-windows.js'

const SPECIAL = fc.constantFrom(
  0, -1, 1, TIME_MAX_MS, TIME_MAX_MS + 1, 8.64e15, 8.64e15 - 1, 8.64e15 + 1, 2 ** 53, -(2 ** 53),
  Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 8_640_000_000_000_001, 8_700_000_000_000_000
)
const ANY_BOUND = fc.option(fc.oneof(
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.integer({ min: TIME_MIN_MS, max: TIME_MAX_MS }),
  SPECIAL
), { nil: undefined })

/** Stored bar opens of one interval: scattered over the range, plus a dense run and the edges. */
function storedBars (interval: Interval) {
  const { first } = bucketDomain(interval)
  const last = bucketStart(interval, TIME_MAX_MS)
  return fc.record({
    scattered: fc.array(fc.integer({ min: TIME_MIN_MS, max: TIME_MAX_MS }), { maxLength: 20 }),
    run: fc.record({ at: fc.integer({ min: TIME_MIN_MS, max: TIME_MAX_MS }), length: fc.integer({ min: 0, max: 40 }) }),
    edges: fc.subarray([first, last])
  }).map(({ scattered, run, edges }) => {
    const bars = new Set<number>(edges)
    for (const ts of scattered) bars.add(bucketStart(interval, ts))
    // A run of consecutive bars (for 1M, 28-day steps: every month, some twice, deduplicated).
    const step = fixedIntervalMs(interval) ?? 28 * 86_400_000
    for (let i = 0, ts = run.at; i < run.length && ts <= TIME_MAX_MS; i++, ts += step) bars.add(bucketStart(interval, ts))
    return [...bars].sort((a, b) => a - b)
  })
}

const clamp = (ts: number) => Math.min(Math.max(ts, TIME_MIN_MS), TIME_MAX_MS)

/** The bars a request selects, by their definition: open >= from, open <= to, `limit` from the right end. */
function naive (bars: readonly number[], from: number | undefined, to: number | undefined, limit: number): number[] {
  const hit = bars.filter((ts) => (from === undefined || ts >= clamp(from)) && (to === undefined || ts <= clamp(to)))
  return from === undefined ? hit.slice(-limit) : hit.slice(0, limit)
}

for (const interval of INTERVALS) {
  t.test(`${interval}: every read terminates and returns the naive selection`, async (t) => {
    let mostRounds = 0
    await fc.assert(fc.asyncProperty(storedBars(interval), ANY_BOUND, ANY_BOUND, fc.integer({ min: 1, max: 50 }), async (bars, from, to, limit) => {
      let rounds = 0
      const fetch = async (lo: number, hi: number, dir: Direction, n: number): Promise<CandleTuple[]> => {
        rounds++
        if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi) || rounds > MAX_READ_ROUNDS) throw new Error(`bad window [${lo}, ${hi}] in round ${rounds}`)
        const inside = bars.filter((ts) => ts >= lo && ts <= hi)
        const picked = dir === 'asc' ? inside.slice(0, n) : inside.reverse().slice(0, n)
        return picked.map((ts): CandleTuple => [ts, 1, 1, 1, 1, 0])
      }
      const plan = bars.length === 0 ? undefined : planRead(interval, { first: bars[0]!, last: bars[bars.length - 1]! }, from, to)
      const got = plan === undefined ? [] : (await readWindowed(interval, plan, limit, fetch)).map((r) => r[0])
      mostRounds = Math.max(mostRounds, rounds)
      return JSON.stringify(got) === JSON.stringify(naive(bars, from, to, limit))
    }), { numRuns: 300 })
    t.ok(mostRounds <= MAX_READ_ROUNDS, `at most ${mostRounds} queries per read`)
  })
}

t.test('a plan over the whole range with one bar at each end reads in a bounded number of rounds', async (t) => {
  for (const interval of INTERVALS) {
    const first = bucketDomain(interval).first
    const last = bucketStart(interval, TIME_MAX_MS)
    for (const direction of ['asc', 'desc'] as const) {
      let rounds = 0
      const rows = await readWindowed(interval, { lo: first, hi: last, direction }, 2, async (lo, hi, dir) => {
        rounds++
        const inside = [first, last].filter((ts) => ts >= lo && ts <= hi)
        return (dir === 'asc' ? inside : inside.reverse()).map((ts): CandleTuple => [ts, 1, 1, 1, 1, 0])
      })
      t.same(rows.map((r) => r[0]), [first, last], `${interval} ${direction}: both bars`)
      t.ok(rounds <= MAX_READ_ROUNDS, `${interval} ${direction}: ${rounds} rounds`)
    }
  }
})
