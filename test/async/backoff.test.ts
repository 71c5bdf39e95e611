// jitteredBackoff: doubles from the minimum per attempt, stops at the maximum, and the jitter keeps
// each delay within the upper half of its cap.
import t from 'tap'
import { jitteredBackoff } from '../../src/async/backoff.js'

t.test('exponential, capped, jittered into the upper half', async (t) => {
  const low = () => 0
  const high = () => 1
  t.equal(jitteredBackoff(1, 1000, 30_000, low), 500)
  t.equal(jitteredBackoff(1, 1000, 30_000, high), 1000)
  t.equal(jitteredBackoff(2, 1000, 30_000, high), 2000)
  t.equal(jitteredBackoff(3, 1000, 30_000, () => 0.5), 3000)
  t.equal(jitteredBackoff(10, 1000, 30_000, high), 30_000, 'capped at the maximum')
  t.equal(jitteredBackoff(10, 1000, 30_000, low), 15_000)
  t.equal(jitteredBackoff(0, 1000, 30_000, high), 1000, 'attempt below 1 counts as the first')
})

t.test('the default random source stays within bounds', async (t) => {
  for (let attempt = 1; attempt <= 20; attempt++) {
    const cap = Math.min(8000, 250 * 2 ** (attempt - 1))
    const d = jitteredBackoff(attempt, 250, 8000)
    t.ok(d >= cap / 2 && d <= cap, `attempt ${attempt}: ${d} within [${cap / 2}, ${cap}]`)
  }
})
