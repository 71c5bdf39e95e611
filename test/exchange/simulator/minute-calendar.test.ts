import t from 'tap'
import { DEFAULT_LISTED_AT, MinuteCalendar } from '../../../src/exchange/simulator/minute-calendar.js'

const MIN = 60_000
const T0 = Date.UTC(2024, 0, 1, 12)

t.test('listing time: one for every symbol, or a record with the default for the rest', async t => {
  t.equal(new MinuteCalendar().listingTime('BTCUSDT'), DEFAULT_LISTED_AT)
  t.equal(new MinuteCalendar(T0).listingTime('ANY'), T0)
  const perSymbol = new MinuteCalendar({ NEWUSDT: T0 })
  t.equal(perSymbol.listingTime('NEWUSDT'), T0)
  t.equal(perSymbol.listingTime('BTCUSDT'), DEFAULT_LISTED_AT)
})

t.test('no minute exists before listing; a listing inside a minute starts at the next one', async t => {
  const cal = new MinuteCalendar(T0 + 30_000)
  t.notOk(cal.minuteExists('X', T0))
  t.ok(cal.minuteExists('X', T0 + MIN))
  t.equal(cal.nextMinute('X', 0), T0 + MIN)
  t.equal(cal.prevMinute('X', T0 + 30_000), undefined, 'nothing before listing')
  t.equal(cal.prevMinute('X', T0 + MIN + 59_999), T0 + MIN, 'floors to the minute')
})

t.test('gaps: per symbol or for all, overlapping ones merged, bounds rounded up to minutes', async t => {
  const cal = new MinuteCalendar(DEFAULT_LISTED_AT, [
    { from: T0, to: T0 + 2 * MIN },
    { from: T0 + MIN, to: T0 + 4 * MIN },
    { symbol: 'ETHUSDT', from: T0 + 10 * MIN + 1, to: T0 + 11 * MIN },
    { from: T0 + 20 * MIN, to: T0 + 20 * MIN }
  ])
  t.notOk(cal.minuteExists('BTCUSDT', T0 + 3 * MIN), 'inside the merged gap')
  t.ok(cal.minuteExists('BTCUSDT', T0 + 4 * MIN), 'the end is exclusive')
  t.equal(cal.nextMinute('BTCUSDT', T0), T0 + 4 * MIN, 'skips both overlapping gaps at once')
  t.equal(cal.prevMinute('BTCUSDT', T0 + 3 * MIN), T0 - MIN)
  t.ok(cal.minuteExists('BTCUSDT', T0 + 10 * MIN), 'another symbol\'s gap does not apply')
  t.ok(cal.minuteExists('ETHUSDT', T0 + 10 * MIN), 'a gap starting inside a minute spares that minute')
  t.ok(cal.minuteExists('BTCUSDT', T0 + 20 * MIN), 'an empty gap removes nothing')
  t.equal(cal.nextMinute('BTCUSDT', T0 + 4 * MIN + 1), T0 + 5 * MIN, 'rounds up to the next minute')
})

t.test('a gap to infinity ends the symbol; NaN bounds are refused', async t => {
  const cal = new MinuteCalendar(DEFAULT_LISTED_AT, [{ from: T0, to: Number.POSITIVE_INFINITY }])
  t.equal(cal.nextMinute('X', T0 - MIN), T0 - MIN)
  t.equal(cal.nextMinute('X', T0), undefined)
  t.equal(cal.prevMinute('X', T0 + 100 * MIN), T0 - MIN)
  t.throws(() => new MinuteCalendar(DEFAULT_LISTED_AT, [{ from: Number.NaN, to: T0 }]), /gap bounds must be numbers/)
})
