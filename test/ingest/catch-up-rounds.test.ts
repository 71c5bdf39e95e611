import t from 'tap'
import { CatchUpRounds } from '../../src/ingest/catch-up-rounds.js'
import { ManualTimers } from '../live/manual-timers.js'

/** Rounds whose outcome the test decides, one at a time. */
function rounds (opts: { random?: () => number } = {}) {
  const timers = new ManualTimers()
  const pending: Array<(ok: boolean) => void> = []
  let started = 0
  const r = new CatchUpRounds({
    round: async () => {
      started++
      return await new Promise<boolean>((resolve) => pending.push(resolve))
    },
    retryMinMs: 100,
    retryMaxMs: 1000,
    timers,
    random: opts.random ?? (() => 1)
  })
  const settle = async (ok: boolean): Promise<void> => {
    pending.shift()!(ok)
    await new Promise((resolve) => setImmediate(resolve))
  }
  return { r, timers, settle, started: () => started }
}

t.test('requests made while a round runs are coalesced into one more round', async (t) => {
  const { r, settle, started } = rounds()
  r.request()
  t.equal(started(), 1)
  r.request()
  r.request()
  t.equal(started(), 1, 'one round at a time')
  await settle(true)
  t.equal(started(), 2, 'one more round for the requests made meanwhile')
  await settle(true)
  t.equal(started(), 2)
  t.equal(r.current, undefined, 'idle once no request is left')
})

t.test('a failed round is retried after a back-off that grows, is capped and resets on success', async (t) => {
  const { r, timers, settle, started } = rounds()
  r.request()
  const delays: number[] = []
  for (let i = 0; i < 6; i++) {
    await settle(false)
    const before = timers.at
    while (started() === i + 1) timers.advance(10)
    delays.push(timers.at - before)
  }
  t.same(delays, [100, 200, 400, 800, 1000, 1000], 'doubling from retryMinMs up to retryMaxMs (no jitter with random() = 1)')
  await settle(true)
  r.request()
  await settle(false)
  const before = timers.at
  while (started() === 8) timers.advance(10)
  t.equal(timers.at - before, 100, 'back to the minimum after a success')
})

t.test('the jitter keeps each delay in the upper half of its cap', async (t) => {
  const { r, timers, settle, started } = rounds({ random: () => 0 })
  r.request()
  await settle(false)
  timers.advance(49)
  t.equal(started(), 1)
  timers.advance(1)
  t.equal(started(), 2, 'half of the first cap')
})

t.test('a request supersedes a pending retry; retryLater does not stack timers', async (t) => {
  const { r, timers, settle, started } = rounds()
  r.retryLater()
  r.retryLater()
  t.equal(timers.pending, 1)
  r.request()
  t.equal(timers.pending, 0, 'the retry is cancelled by the round it would have run')
  t.equal(started(), 1)
  await settle(true)
  timers.advance(10_000)
  t.equal(started(), 1)
})

t.test('after stop no round starts and no retry fires', async (t) => {
  const { r, timers, settle, started } = rounds()
  r.request()
  await settle(false)
  t.equal(timers.pending, 1)
  r.stop()
  t.equal(timers.pending, 0)
  r.request()
  r.retryLater()
  timers.advance(10_000)
  t.equal(started(), 1)
  t.equal(r.current, undefined)
})
