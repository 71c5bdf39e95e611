import t from 'tap'
import { WeightMeter } from '../../../src/exchange/simulator/weight-meter.js'

const MINUTE = 60_000
// 12:00:00 UTC on 2024-01-01: the start of a weight window.
const W0 = Date.UTC(2024, 0, 1, 12)

t.test('weight adds up within a calendar minute and a request that would pass the limit is refused uncounted', async t => {
  let wall = W0 + 10_000
  const meter = new WeightMeter(10, () => wall)
  t.equal(meter.current(), 0)
  t.ok(meter.tryUse(4))
  t.ok(meter.tryUse(6), 'reaching the limit exactly is allowed')
  t.equal(meter.current(), 10)
  t.notOk(meter.tryUse(1), 'one more is over')
  t.equal(meter.current(), 10, 'the refused request is not counted')
  wall = W0 + MINUTE - 1
  t.notOk(meter.tryUse(1), 'still the same window one ms before the minute ends')
  wall = W0 + MINUTE
  t.equal(meter.current(), 0, 'a new minute starts from zero')
  t.ok(meter.tryUse(10))
})

t.test('the wait for the next window is whole seconds, at least one', async t => {
  let wall = W0
  const meter = new WeightMeter(10, () => wall)
  t.equal(meter.secondsToNextWindow(), 60, 'a full minute at the start of one')
  wall = W0 + 59_001
  t.equal(meter.secondsToNextWindow(), 1, 'rounded up')
  wall = W0 + 59_999
  t.equal(meter.secondsToNextWindow(), 1, 'never zero')
  wall = W0 + 30_500
  t.equal(meter.secondsToNextWindow(), 30)
})
