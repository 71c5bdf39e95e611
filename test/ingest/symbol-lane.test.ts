import t from 'tap'
import type { Candle } from '../../src/domain/candle.js'
import { MINUTE_MS } from '../../src/domain/intervals.js'
import { minuteCandles } from '../../src/exchange/simulator/price-model.js'
import { SymbolLane } from '../../src/ingest/symbol-lane.js'

const T0 = Date.UTC(2024, 0, 1)
const bars = minuteCandles('BTCUSDT', T0, T0 + 10 * MINUTE_MS)
const bar = (i: number): Candle => bars[i]!
const forming = (i: number, close: number): Candle => ({ ...bar(i), close })

/** A lane whose closes take as long as the test lets them; records what happened in order. */
function lane () {
  const events: string[] = []
  const release: Array<() => void> = []
  const errors: unknown[] = []
  let slow = false
  const l = new SymbolLane({
    applyClosed: async (c) => {
      events.push(`apply ${(c.ts - T0) / MINUTE_MS}`)
      if (slow) await new Promise<void>((resolve) => release.push(resolve))
      if (c.close === 0) throw new Error('store failed')
      events.push(`stored ${(c.ts - T0) / MINUTE_MS}`)
    },
    publishPartial: (c) => { events.push(`partial ${(c.ts - T0) / MINUTE_MS} @${c.close}`) },
    onError: (err) => { errors.push(err) }
  })
  return { lane: l, events, errors, release, setSlow: (v: boolean) => { slow = v } }
}

t.test('closes are applied one at a time, in arrival order', async (t) => {
  const { lane: l, events, release, setSlow } = lane()
  setSlow(true)
  l.closed(bar(0))
  l.closed(bar(1))
  await new Promise((resolve) => setImmediate(resolve))
  t.same(events, ['apply 0'], 'the second close waits for the first')
  release.shift()!()
  await new Promise((resolve) => setImmediate(resolve))
  t.same(events, ['apply 0', 'stored 0', 'apply 1'])
  release.shift()!()
  await l.idle()
  t.same(events, ['apply 0', 'stored 0', 'apply 1', 'stored 1'])
})

t.test('a partial waits for the closes received before it, and only the newest is published', async (t) => {
  const { lane: l, events, release, setSlow } = lane()
  setSlow(true)
  l.closed(bar(0))
  l.forming(forming(1, 10))
  l.forming(forming(1, 11))
  l.forming(forming(1, 12))
  await new Promise((resolve) => setImmediate(resolve))
  t.same(events, ['apply 0'], 'no partial overtakes the close before it')
  release.shift()!()
  await l.idle()
  t.same(events, ['apply 0', 'stored 0', 'partial 1 @12'])
})

t.test('a close voids the partial queued before it and drops it when it supersedes it', async (t) => {
  const { lane: l, events, release, setSlow } = lane()
  setSlow(true)
  l.closed(bar(0))
  l.forming(forming(1, 10))
  l.closed(bar(1))
  await new Promise((resolve) => setImmediate(resolve))
  release.shift()!()
  await new Promise((resolve) => setImmediate(resolve))
  release.shift()!()
  await l.idle()
  t.same(events, ['apply 0', 'stored 0', 'apply 1', 'stored 1'], 'the partial of minute 1 is not published after its final')
})

t.test('a newer partial than the close is published after that close', async (t) => {
  const { lane: l, events } = lane()
  l.forming(forming(2, 20))
  l.closed(bar(1))
  await l.idle()
  t.same(events, ['apply 1', 'stored 1', 'partial 2 @20'])
})

t.test('held closes are applied after release, sorted and once each; partials wait too', async (t) => {
  const { lane: l, events } = lane()
  l.hold()
  t.equal(l.holdingCloses, true)
  l.closed(bar(3))
  l.closed(bar(1))
  l.closed(bar(2))
  l.closed({ ...bar(1), close: bar(1).close + 1 })
  l.forming(forming(4, 40))
  await l.idle()
  t.same(events, [], 'nothing applied or published while held')
  t.equal(l.heldCount, 3, 'a repeated close replaces the one held for its minute')
  l.release()
  t.equal(l.holdingCloses, false)
  await l.idle()
  t.same(events, ['apply 1', 'stored 1', 'apply 2', 'stored 2', 'apply 3', 'stored 3', 'partial 4 @40'])
  l.release()
  await l.idle()
  t.equal(events.length, 7, 'a second release applies nothing again')
})

t.test('takeHeld hands the held closes out instead of applying them', async (t) => {
  const { lane: l, events } = lane()
  l.hold()
  l.closed(bar(1))
  l.closed(bar(2))
  t.same(l.takeHeld().map((c) => c.ts), [bar(1).ts, bar(2).ts])
  l.release()
  await l.idle()
  t.same(events, [])
})

t.test('a failed close is reported and the lane goes on', async (t) => {
  const { lane: l, events, errors } = lane()
  l.closed({ ...bar(0), close: 0 })
  l.closed(bar(1))
  await l.idle()
  t.same(events, ['apply 0', 'apply 1', 'stored 1'])
  t.match(errors, [/store failed/])
})
