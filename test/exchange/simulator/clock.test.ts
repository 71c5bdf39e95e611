import t from 'tap'
import { tickMsForSpeed } from '../../../src/exchange/simulator/clock.js'

t.test('ticks about every 250 simulated ms, between 20 and 250 wall ms apart', async t => {
  t.equal(tickMsForSpeed(1), 250)
  t.equal(tickMsForSpeed(0.5), 250, 'a slow clock still ticks every 250 wall ms')
  t.equal(tickMsForSpeed(3), 83, 'whole milliseconds')
  t.equal(tickMsForSpeed(10), 25)
  t.equal(tickMsForSpeed(60), 20, 'never more often than every 20 ms')
  t.equal(tickMsForSpeed(3600), 20)
})
