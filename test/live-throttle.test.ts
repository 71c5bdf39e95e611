// The per-topic partial throttle on a clock and timers the test drives: at most one partial per
// window, the newest value wins, and a final is never throttled away nor followed by a stale partial.
import t from 'tap'
import { silentLog } from '../src/log.js'
import { InProcessLiveBus } from '../src/live/live-bus.js'
import { LiveFeed, type ThrottleTimers } from '../src/live/live-feed.js'
import { memoryStore } from './helpers.js'

/** Timers that fire only when the test moves the clock. */
class ManualTimers implements ThrottleTimers {
  at = 0
  private readonly due = new Map<number, { when: number, fn: () => void }>()
  private nextId = 1

  now (): number {
    return this.at
  }

  setTimeout (fn: () => void, ms: number): unknown {
    const id = this.nextId++
    this.due.set(id, { when: this.at + ms, fn })
    return id
  }

  clearTimeout (handle: unknown): void {
    this.due.delete(handle as number)
  }

  advance (ms: number): void {
    this.at += ms
    for (const [id, timer] of [...this.due].sort((a, b) => a[1].when - b[1].when)) {
      if (timer.when > this.at) continue
      this.due.delete(id)
      timer.fn()
    }
  }
}

const TS = Date.UTC(2024, 0, 1)

t.test('throttle 500 ms, partials every 100 ms: one per window, the newest, and always the final', async (t) => {
  const timers = new ManualTimers()
  timers.at = 1_000_000
  const bus = new InProcessLiveBus()
  const sent: Array<{ at: number, data: number[], final: boolean }> = []
  const feed = new LiveFeed({
    bus,
    store: await memoryStore(t),
    sink: { topic: (_key, text) => { const m = JSON.parse(text); sent.push({ at: timers.now(), data: m.data, final: m.final }) }, all: () => {} },
    emitPartials: true,
    partialThrottleMs: 500,
    log: silentLog,
    timers
  })
  t.teardown(() => feed.close())
  feed.activate('ETHUSDT', '1m')
  const base = { symbol: 'ETHUSDT', interval: '1m' as const, ts: TS, open: 100, low: 99, volume: 1 }
  for (let i = 0; i < 25; i++) {
    bus.publish({ type: 'candle', final: false, candle: { ...base, high: 101 + i, close: 100 + i } })
    await feed.idle()
    timers.advance(100)
  }
  const partials = sent.filter((m) => !m.final)
  // At 0, 500, ..., 2000 ms and the window ending at 2500 ms: the last value published.
  t.equal(partials.length, 6, 'one partial per 500 ms window')
  const gaps = partials.slice(1).map((m, i) => m.at - partials[i]!.at)
  t.ok(gaps.every((g) => g >= 500), `gaps ${gaps.join(',')} ms`)
  t.same(partials[0]!.data, [TS, 100, 101, 99, 100, 1], 'the first partial goes out at once')
  t.same(partials.at(-1)!.data, [TS, 100, 125, 99, 124, 1], 'a window sends the newest partial it held')

  // A partial held in the window when the final arrives is dropped, never sent after the final.
  bus.publish({ type: 'candle', final: false, candle: { ...base, high: 129, close: 124 } })
  bus.publish({ type: 'candle', final: true, candle: { ...base, high: 130, close: 125 } })
  await feed.idle()
  timers.advance(1000)
  t.same(sent.at(-1), { at: sent.at(-1)!.at, data: [TS, 100, 130, 99, 125, 1], final: true }, 'the final is the last message')
  t.equal(sent.filter((m) => m.final).length, 1)
})

t.test('throttle 0 sends every partial', async (t) => {
  const timers = new ManualTimers()
  const bus = new InProcessLiveBus()
  let count = 0
  const feed = new LiveFeed({ bus, store: await memoryStore(t), sink: { topic: () => { count++ }, all: () => {} }, emitPartials: true, partialThrottleMs: 0, log: silentLog, timers })
  t.teardown(() => feed.close())
  feed.activate('ETHUSDT', '1m')
  for (let i = 0; i < 10; i++) bus.publish({ type: 'candle', final: false, candle: { symbol: 'ETHUSDT', interval: '1m', ts: TS, open: 1, high: 2, low: 1, close: 1 + i / 10, volume: 1 } })
  await feed.idle()
  t.equal(count, 10)
})
