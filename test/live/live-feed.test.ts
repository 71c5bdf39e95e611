// The feed on its own: a real in-process bus and in-memory store, a sink that records what the hub
// would fan out, and, for the partial throttle, a clock and timers the test drives.
import t from 'tap'
import type { Candle } from '../../src/domain/candle.js'
import type { Interval } from '../../src/domain/intervals.js'
import { minuteCandles } from '../../src/exchange/simulator/price-model.js'
import { InProcessLiveBus } from '../../src/live/live-bus.js'
import { LiveFeed, type LiveFeedOptions } from '../../src/live/live-feed.js'
import { silentLog, type Log } from '../../src/log.js'
import type { CandleStore } from '../../src/store/candle-store.js'
import { memoryStore, type Teardown } from '../helpers.js'
import { ManualTimers } from './manual-timers.js'

const TS = Date.UTC(2024, 0, 1)
const MIN = 60_000

interface Sent {
  key?: string
  msg: { type: string, symbol?: string, interval?: Interval, data?: number[], final?: boolean, symbols?: string[] }
}

async function feedOn (t: Teardown, opts: Partial<LiveFeedOptions> = {}) {
  const bus = new InProcessLiveBus()
  const store = opts.store ?? await memoryStore(t)
  const feed = new LiveFeed({ bus, store, emitPartials: true, partialThrottleMs: 0, log: silentLog, ...opts })
  const sent: Sent[] = []
  feed.connect({
    topic: (key, text) => { sent.push({ key, msg: JSON.parse(text) }) },
    all: (text) => { sent.push({ msg: JSON.parse(text) }) }
  })
  t.teardown(() => feed.close())
  const publish = (candle: Candle, final: boolean) => bus.publish({ type: 'candle', candle, final })
  return { bus, store, feed, sent, publish }
}

t.test('1m passes through for active topics only; activate is idempotent and deactivate stops the topic', async (t) => {
  const { feed, sent, publish } = await feedOn(t)
  const [btc] = minuteCandles('BTCUSDT', TS, TS + MIN)
  const [eth] = minuteCandles('ETHUSDT', TS, TS + MIN)
  feed.activate('BTCUSDT', '1m')
  feed.activate('BTCUSDT', '1m')
  t.equal(feed.activeTopics, 1)
  publish(btc!, false)
  publish(eth!, false)
  await feed.idle()
  t.same(sent, [{ key: 'BTCUSDT|1m', msg: { type: 'candle', symbol: 'BTCUSDT', interval: '1m', data: [btc!.ts, btc!.open, btc!.high, btc!.low, btc!.close, btc!.volume], final: false } }],
    'one message for the active topic, none for the inactive one')
  feed.deactivate('BTCUSDT', '1m')
  t.equal(feed.activeTopics, 0)
  publish(btc!, true)
  await feed.idle()
  t.equal(sent.length, 1, 'nothing once deactivated')
  t.equal(feed.messages, 3, 'every bus message was read')
  t.throws(() => feed.connect({ topic: () => {}, all: () => {} }), /already has a sink/)
})

t.test('a 5m topic: partials are the bucket so far, and the final equals the stored bucket', async (t) => {
  const { feed, store, sent, publish } = await feedOn(t)
  const minutes = minuteCandles('ETHUSDT', TS, TS + 5 * MIN)
  // Two minutes stored before anybody listens: the bucket starts from them.
  await store.upsertBatch(minutes.slice(0, 2))
  feed.activate('ETHUSDT', '5m')
  publish({ ...minutes[2]!, close: 123 }, false)
  await feed.idle()
  t.equal(sent.length, 1)
  const first = sent[0]!.msg
  t.equal(first.final, false)
  t.equal(first.data![0], TS, 'the bucket open time')
  t.equal(first.data![1], minutes[0]!.open, 'the open of the first stored minute')
  t.equal(first.data![4], 123, 'the close of the forming minute')
  for (const m of minutes.slice(2)) {
    await store.upsertBatch([m])
    publish(m, true)
  }
  await feed.idle()
  const final = sent.at(-1)!.msg
  t.equal(final.final, true, 'the last minute of the bucket closes it')
  t.same(final.data, (await store.getCandles({ symbol: 'ETHUSDT', interval: '5m', from: TS, to: TS, limit: 1 }))[0], 'the final is the stored 5m candle')
  t.ok(sent.slice(0, -1).every((s) => s.msg.final === false && s.key === 'ETHUSDT|5m'), 'partials before it')
  publish({ ...minutes[4]!, close: 1 }, false)
  await feed.idle()
  t.equal(sent.at(-1)!.msg.final, true, 'no partial of a closed bucket after its final')
})

t.test('resync_done goes to every client after the aggregations queued before it', async (t) => {
  const { feed, bus, store, sent, publish } = await feedOn(t)
  const minutes = minuteCandles('BTCUSDT', TS, TS + 5 * MIN)
  await store.upsertBatch(minutes)
  feed.activate('BTCUSDT', '5m')
  for (const m of minutes) publish(m, true)
  bus.publish({ type: 'resync_done', interval: '1m', symbols: ['BTCUSDT'] })
  await feed.idle()
  const last = sent.at(-1)!
  t.same(last, { msg: { type: 'resync_done', interval: '1m', symbols: ['BTCUSDT'] } }, 'sent to all, last')
  t.ok(sent.slice(0, -1).some((s) => s.msg.final === true && s.key === 'BTCUSDT|5m'), 'the 5m final went out first')
})

t.test('finals are never followed by anything older; without partials only finals go out', async (t) => {
  const { feed, sent, publish } = await feedOn(t, { emitPartials: false })
  const [a, b] = minuteCandles('BTCUSDT', TS, TS + 2 * MIN)
  feed.activate('BTCUSDT', '1m')
  publish(b!, false)
  publish(b!, true)
  publish(a!, true)
  publish(b!, true)
  await feed.idle()
  t.same(sent.map((s) => [s.msg.data![0], s.msg.final]), [[b!.ts, true]], 'one final; the partial, the older final and the repeat are dropped')
})

t.test('a failing aggregation is logged and the other topics go on', async (t) => {
  const memory = await memoryStore(t)
  const failing: CandleStore = Object.create(memory)
  failing.barSoFar = async (symbol, interval, start) => {
    if (interval === '15m') throw new Error('read failed')
    return await memory.barSoFar(symbol, interval, start)
  }
  const errors: unknown[] = []
  const log: Log = { ...silentLog, error: (obj) => { errors.push(obj) } }
  const { feed, sent, publish } = await feedOn(t, { store: failing, log })
  feed.activate('BTCUSDT', '15m')
  feed.activate('BTCUSDT', '5m')
  const [m] = minuteCandles('BTCUSDT', TS, TS + MIN)
  publish(m!, false)
  await feed.idle()
  t.same(sent.map((s) => s.key), ['BTCUSDT|5m'], 'the 5m partial still went out')
  t.match(errors, [{ topic: 'BTCUSDT|15m', err: { message: 'read failed' } }])
})

t.test('throttle 500 ms, partials every 100 ms: one per window, the newest, and always the final', async (t) => {
  const timers = new ManualTimers(1_000_000)
  const { feed, sent: raw, publish } = await feedOn(t, { partialThrottleMs: 500, timers })
  const sent: Array<{ at: number, data: number[], final: boolean }> = []
  const record = () => { for (const s of raw.splice(0)) sent.push({ at: timers.now(), data: s.msg.data!, final: s.msg.final! }) }
  feed.activate('ETHUSDT', '1m')
  const base = { symbol: 'ETHUSDT', interval: '1m' as const, ts: TS, open: 100, low: 99, volume: 1 }
  for (let i = 0; i < 25; i++) {
    publish({ ...base, high: 101 + i, close: 100 + i }, false)
    await feed.idle()
    record()
    timers.advance(100)
    record()
  }
  const partials = sent.filter((m) => !m.final)
  // At 0, 500, ..., 2000 ms and the window ending at 2500 ms: the last value published.
  t.equal(partials.length, 6, 'one partial per 500 ms window')
  const gaps = partials.slice(1).map((m, i) => m.at - partials[i]!.at)
  t.ok(gaps.every((g) => g >= 500), `gaps ${gaps.join(',')} ms`)
  t.same(partials[0]!.data, [TS, 100, 101, 99, 100, 1], 'the first partial goes out at once')
  t.same(partials.at(-1)!.data, [TS, 100, 125, 99, 124, 1], 'a window sends the newest partial it held')

  // A partial held in the window when the final arrives is dropped, never sent after the final.
  publish({ ...base, high: 129, close: 124 }, false)
  publish({ ...base, high: 130, close: 125 }, true)
  await feed.idle()
  record()
  timers.advance(1000)
  record()
  t.same(sent.at(-1), { at: sent.at(-1)!.at, data: [TS, 100, 130, 99, 125, 1], final: true }, 'the final is the last message')
  t.equal(sent.filter((m) => m.final).length, 1)
  t.equal(timers.pending, 0, 'no timer left behind')
})

t.test('throttle 0 sends every partial', async (t) => {
  const { feed, sent, publish } = await feedOn(t, { timers: new ManualTimers() })
  feed.activate('ETHUSDT', '1m')
  for (let i = 0; i < 10; i++) publish({ symbol: 'ETHUSDT', interval: '1m', ts: TS, open: 1, high: 2, low: 1, close: 1 + i / 10, volume: 1 }, false)
  await feed.idle()
  t.equal(sent.length, 10)
})

t.test('deactivating a topic drops the partial its throttle held', async (t) => {
  const timers = new ManualTimers(1_000_000)
  const { feed, sent, publish } = await feedOn(t, { partialThrottleMs: 500, timers })
  feed.activate('ETHUSDT', '1m')
  const base = { symbol: 'ETHUSDT', interval: '1m' as const, ts: TS, open: 1, high: 2, low: 1, volume: 1 }
  publish({ ...base, close: 1 }, false)
  publish({ ...base, close: 2 }, false)
  await feed.idle()
  t.equal(sent.length, 1, 'the second partial waits for the window')
  feed.deactivate('ETHUSDT', '1m')
  t.equal(timers.pending, 0, 'its timer is cleared')
  timers.advance(1000)
  t.equal(sent.length, 1)
})
