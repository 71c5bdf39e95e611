// Bucket math over the whole time range, against references written here with BigInt floor
// division (fixed widths) and JavaScript's Date (months, exact within the range), and RangeErrors
// rather than NaN outside it.
import fc from 'fast-check'
import t from 'tap'
import {
  INTERVALS, addBuckets, bucketCloseTime, bucketStart, bucketStartAtOrAfter, bucketsBetween, isAligned, nextBucketStart, type Interval
} from '../../src/domain/intervals.js'
import { TIME_MAX_MS, TIME_MIN_MS } from '../../src/domain/time.js'

const MIN = 60_000
const DAY = 86_400_000
const WIDTH: Record<Exclude<Interval, '1M'>, number> = {
  '1m': MIN, '3m': 3 * MIN, '5m': 5 * MIN, '15m': 15 * MIN, '30m': 30 * MIN, '1h': 60 * MIN, '2h': 120 * MIN, '4h': 240 * MIN, '6h': 360 * MIN, '8h': 480 * MIN, '12h': 720 * MIN, '1d': DAY, '1w': 7 * DAY
}
/** Monday 1970-01-05, the first week open after the epoch. */
const MONDAY = 4 * DAY

function floorDiv (a: bigint, b: bigint): bigint {
  const q = a / b
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q
}

/** The open of the bucket holding ts, and of the bucket `n` after it. */
function refBucket (interval: Interval, ts: number, n = 0): number {
  if (interval === '1M') {
    const d = new Date(ts)
    const out = new Date(0)
    out.setUTCFullYear(d.getUTCFullYear(), d.getUTCMonth() + n, 1)
    out.setUTCHours(0, 0, 0, 0)
    return out.getTime()
  }
  const width = BigInt(WIDTH[interval])
  const origin = BigInt(interval === '1w' ? MONDAY : 0)
  return Number(origin + (floorDiv(BigInt(ts) - origin, width) + BigInt(n)) * width)
}

const refDomain = (interval: Interval) => ({ first: refBucket(interval, TIME_MIN_MS), end: refBucket(interval, TIME_MAX_MS, 1) })

const MONTH_EDGES = fc.record({ year: fc.integer({ min: 1970, max: 9999 }), month: fc.integer({ min: 0, max: 11 }), delta: fc.integer({ min: -1, max: 1 }) })
  .map(({ year, month, delta }) => {
    const d = new Date(0)
    d.setUTCFullYear(year, month, 1)
    return d.getTime() + delta
  })
const WEEK_EDGES = fc.record({ week: fc.integer({ min: -1, max: Math.floor(TIME_MAX_MS / (7 * DAY)) }), delta: fc.integer({ min: -1, max: 1 }) })
  .map(({ week, delta }) => MONDAY + week * 7 * DAY + delta)
const SPECIAL = fc.constantFrom(
  0, -1, 1, TIME_MAX_MS, TIME_MAX_MS + 1, TIME_MAX_MS - 1, 8.64e15, 8.64e15 - 1, 8.64e15 + 1,
  2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 8_640_000_000_000_001, 8_700_000_000_000_000
)
/** Any time a client could send: the full safe range, the service's range, and the edges. */
const ANY_TIME = fc.oneof(
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.integer({ min: TIME_MIN_MS, max: TIME_MAX_MS }),
  MONTH_EDGES, WEEK_EDGES, SPECIAL
)
const INTERVAL = fc.constantFrom(...INTERVALS)
const inRange = (ts: number) => ts >= TIME_MIN_MS && ts <= TIME_MAX_MS

/** True when fn throws a RangeError; inside a property, so a counterexample fails the property. */
function rangeError (fn: () => unknown): boolean {
  try {
    fn()
    return false
  } catch (err) {
    return err instanceof RangeError
  }
}

t.test('bucket opens, next opens and close times agree with the reference over the whole range', async () => {
  fc.assert(fc.property(INTERVAL, ANY_TIME, (interval, ts) => {
    if (!inRange(ts)) {
      return rangeError(() => bucketStart(interval, ts)) && rangeError(() => nextBucketStart(interval, ts)) &&
        rangeError(() => bucketStartAtOrAfter(interval, ts)) && !isAligned(interval, ts)
    }
    const start = bucketStart(interval, ts)
    const next = refBucket(interval, ts, 1)
    return start === refBucket(interval, ts) && start <= ts && ts < next &&
      nextBucketStart(interval, ts) === next && bucketCloseTime(interval, start) === next - 1 &&
      bucketStartAtOrAfter(interval, ts) === (start === ts ? ts : next) &&
      isAligned(interval, ts) === (start === ts) && bucketsBetween(interval, start, next) === 1
  }), { numRuns: 20_000 })
})

t.test('adding buckets agrees with the reference inside the domain and is a RangeError beyond it', async () => {
  fc.assert(fc.property(INTERVAL, fc.integer({ min: TIME_MIN_MS, max: TIME_MAX_MS }), fc.oneof(fc.integer({ min: -200, max: 200 }), fc.integer()), (interval, ts, n) => {
    const start = bucketStart(interval, ts)
    const want = refBucket(interval, ts, n)
    const { first, end } = refDomain(interval)
    // NaN: the reference month fell off Date's own range, far outside the domain.
    if (!(want >= first && want <= end)) return rangeError(() => addBuckets(interval, start, n))
    return addBuckets(interval, start, n) === want && bucketsBetween(interval, Math.min(start, want), Math.max(start, want)) === Math.abs(n)
  }), { numRuns: 20_000 })
})

t.test('the first and last buckets of every interval', async (t) => {
  for (const interval of INTERVALS) {
    const { first, end } = refDomain(interval)
    const last = bucketStart(interval, TIME_MAX_MS)
    t.equal(bucketStart(interval, 0), first, `${interval}: the bucket holding 1970-01-01`)
    t.equal(nextBucketStart(interval, TIME_MAX_MS), end, `${interval}: the open after the last bucket`)
    t.equal(bucketCloseTime(interval, last), end - 1, `${interval}: the last bucket closes`)
    t.throws(() => addBuckets(interval, end, 1), RangeError, `${interval}: nothing past the end`)
    t.throws(() => addBuckets(interval, first, -1), RangeError, `${interval}: nothing before the first`)
    t.throws(() => addBuckets(interval, first, 0.5), RangeError, `${interval}: whole buckets only`)
    t.throws(() => bucketStart(interval, Number.NaN), RangeError, `${interval}: NaN`)
  }
  t.equal(bucketStart('1M', TIME_MAX_MS), Date.UTC(9999, 11, 1))
  t.equal(nextBucketStart('1M', TIME_MAX_MS), TIME_MAX_MS + 1, '10000-01-01')
  t.equal(bucketStart('1w', 0), -3 * DAY, 'the week of 1970-01-01 opens on Monday 1969-12-29')
  t.equal(bucketStart('1M', Date.UTC(2024, 1, 29, 12)), Date.UTC(2024, 1, 1), 'leap February')
  t.equal(bucketsBetween('1M', Date.UTC(1970, 0, 1), Date.UTC(9999, 11, 1)), 8030 * 12 - 1)
})
