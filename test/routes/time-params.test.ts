// Times on REST and in CLI options: one parser (epoch seconds/ms, ISO-8601 dates and date-times)
// and one range, 1970-01-01 to 9999-12-31; anything else is a 400 naming the parameter.
import fc from 'fast-check'
import t from 'tap'
import { TIME_MAX_MS, TIME_MIN_MS, inTimeRange, parseTimePoint, parseTimestamp } from '../../src/domain/time.js'
import { parseTimeOption } from '../../src/cli/options.js'
import { DAY, MIN, T0, json, seededStore, testApp } from '../helpers.js'

const HOUR = 60 * MIN

t.test('parseTimestamp reads every ISO time in the range as Date prints it, with any offset', async () => {
  fc.assert(fc.property(fc.integer({ min: TIME_MIN_MS, max: TIME_MAX_MS }), fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }), (ms, offsetMin) => {
    const iso = new Date(ms).toISOString()
    // The same instant written in local time at `offsetMin` east of UTC.
    const local = new Date(ms + offsetMin * MIN).toISOString().slice(0, -1)
    const sign = offsetMin < 0 ? '-' : '+'
    const abs = Math.abs(offsetMin)
    const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
    const shifted = ms + offsetMin * MIN
    const localParses = shifted < TIME_MIN_MS || shifted > TIME_MAX_MS || parseTimestamp(`${local}${zone}`) === ms
    return parseTimestamp(iso) === ms && parseTimestamp(String(ms)) === (ms < 1e12 && ms > 0 ? ms * 1000 : ms) && localParses
  }), { numRuns: 5000 })
})

t.test('parseTimestamp: the formats it takes and the ones it refuses', async (t) => {
  t.equal(parseTimestamp('2024-01-01'), T0)
  t.equal(parseTimestamp('2024-01-01T12:00:00Z'), T0 + 12 * HOUR)
  t.equal(parseTimestamp('2024-01-01T12:00'), T0 + 12 * HOUR, 'no seconds, no offset: UTC')
  t.equal(parseTimestamp('2024-01-01T14:00:00+02:00'), T0 + 12 * HOUR)
  t.equal(parseTimestamp('2024-01-01T06:30:00-0530'), T0 + 12 * HOUR)
  t.equal(parseTimestamp('2024-01-01T12:00:00.1239Z'), T0 + 12 * HOUR + 123, 'finer than ms is cut')
  t.equal(parseTimestamp('2024-02-29'), Date.UTC(2024, 1, 29), 'a leap day')
  t.equal(parseTimestamp('1704067200'), T0, 'seconds')
  t.equal(parseTimestamp('1704067200000'), T0, 'milliseconds')
  const year50 = new Date(0)
  year50.setUTCFullYear(50, 0, 1)
  t.equal(parseTimestamp('0050-01-01'), year50.getTime(), 'year 50 is not 1950 (out of range, but well-formed)')
  t.notOk(inTimeRange(parseTimestamp('0050-01-01')!))
  t.equal(parseTimestamp('9999-12-31T23:59:59.999Z'), TIME_MAX_MS)
  t.notOk(inTimeRange(parseTimestamp('9999-12-31T23:59:59.999-00:01')!), 'past the end once the offset is applied')
  for (const bad of ['now', '1.5e12', '-1', '2024-13-01', '2024-02-30', '2023-02-29', '2024-01-01T24:00:00Z', '2024-01-01T12:60Z',
    '2024-01-01T12:00:00+24:00', '2024-1-1', '2024-01-01 12:00:00', 'yesterday', '', ' 2024-01-01', '0x10', '1e3']) {
    t.equal(parseTimestamp(bad), undefined, `"${bad}" is refused`)
  }
})

t.test('CLI time options: now, the same formats, the same range', async (t) => {
  const now = T0 + 5 * DAY
  t.equal(parseTimePoint('now', now), now)
  t.equal(parseTimePoint(' 2024-01-01 ', now), T0)
  t.equal(parseTimeOption('2024-01-01T12:00:00+01:00', 'from', 0, now), T0 + 11 * HOUR)
  t.equal(parseTimeOption(undefined, 'from', 42, now), 42)
  t.equal(parseTimePoint('9007199254740991', now), undefined, 'past 9999-12-31')
  t.throws(() => parseTimeOption('8640000000000001', 'to', 0, now), /invalid value "8640000000000001" for --to: .*9999-12-31/)
  t.throws(() => parseTimeOption('2024-13-01', 'from', 0, now), /--from/)
})

t.test('GET /api/v1/candles time parameters', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 3)
  const app = await testApp(t, {}, { store })
  const get = async (qs: string) => await app.inject({ url: `/api/v1/candles?${qs}` })
  const opens = async (qs: string) => {
    const res = await get(qs)
    t.equal(res.statusCode, 200, qs)
    return json<{ data: number[][] }>(res).data.map((r) => r[0])
  }

  t.test('times past what the service represents are a prompt 400 naming the parameter and the range', async (t) => {
    for (const [qs, param] of [
      ['symbol=BTCUSDT&interval=1M&from=8640000000000001', 'from'],
      ['symbol=BTCUSDT&interval=1M&to=9007199254740991', 'to'],
      ['symbol=BTCUSDT&resolution=M&endTime=8700000000000000', 'endTime'],
      ['symbol=BTCUSDT&interval=1w&startTime=253402300800000', 'startTime'],
      ['symbol=BTCUSDT&interval=1m&from=253402300800', 'from'],
      ['symbol=BTCUSDT&interval=1d&toTs=99999999999999999999999', 'toTs'],
      ['symbol=BTCUSDT&interval=1d&start=0050-01-01', 'start']
    ]) {
      const res = await get(qs!)
      t.equal(res.statusCode, 400, qs)
      const body = json(res)
      t.equal(body.error, 'time_range_invalid', qs)
      t.match(body.message, new RegExp(`^${param} is outside the supported range 0 \\(1970-01-01T00:00:00Z\\) to 253402300799999 \\(9999-12-31T23:59:59.999Z\\)`), qs)
    }
  })

  t.test('the edges of the range are served', async (t) => {
    t.same(await opens('symbol=BTCUSDT&interval=1M&from=0&limit=1'), [T0])
    t.same(await opens('symbol=BTCUSDT&interval=1M&to=253402300799999&limit=1'), [T0])
    t.same(await opens('symbol=BTCUSDT&interval=1w&from=9999-12-31T23:59:59.999Z'), [])
    t.same(await opens('symbol=BTCUSDT&interval=1w&to=1970-01-01'), [])
  })

  t.test('ISO-8601 dates and date-times select what the same epoch ms select', async (t) => {
    const F = T0 + DAY
    t.same(await opens('symbol=BTCUSDT&interval=1h&from=2024-01-02&limit=3'), [F, F + HOUR, F + 2 * HOUR])
    t.same(await opens('symbol=BTCUSDT&interval=1h&from=2024-01-02&limit=3'), await opens(`symbol=BTCUSDT&interval=1h&from=${F}&limit=3`))
    t.same(await opens('symbol=BTCUSDT&interval=1m&startTime=2024-01-02T12:00:00Z&endTime=2024-01-02T12:02:00Z'), [F + 12 * HOUR, F + 12 * HOUR + MIN, F + 12 * HOUR + 2 * MIN])
    t.same(await opens(`symbol=BTCUSDT&interval=1m&to=${encodeURIComponent('2024-01-02T14:00:30.5+02:00')}&limit=2`), [F + 12 * HOUR - MIN, F + 12 * HOUR])
    t.same(await opens('symbol=BTCUSDT&interval=1d&from=2024-01-01&to=2024-01-02'), [T0, F])
  })

  t.test('anything else is a 400 naming the parameter', async (t) => {
    for (const [qs, param] of [['from=now', 'from'], ['to=1.5e12', 'to'], ['startTime=2024-13-01', 'startTime'], ['end=2024-02-30', 'end'], ['fromTs=-5', 'fromTs']]) {
      const res = await get(`symbol=BTCUSDT&interval=1m&${qs!}`)
      t.equal(res.statusCode, 400, qs)
      t.same(json(res).error, 'time_range_invalid', qs)
      t.match(json(res).message, new RegExp(`^${param} must be epoch seconds or milliseconds .* or an ISO-8601 date or date-time`), qs)
    }
    const long = await get(`symbol=BTCUSDT&interval=1m&from=${'1'.repeat(41)}`)
    t.equal(long.statusCode, 400)
    t.equal(json(long).error, 'time_range_invalid')
    const reversed = await get('symbol=BTCUSDT&interval=1m&from=2024-01-02&to=2024-01-01')
    t.equal(reversed.statusCode, 400)
    t.match(json(reversed).message, /^from \(\d+\) is after to/)
  })
})
