// The hub on its own, over real WebSocket connections to a plain `ws` server on 127.0.0.1 (no
// Fastify): a feed double that records what the hub switches on and off and hands the test the
// hub's sink, a seeded in-memory store for snapshots, and a hub clock the test moves.
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { WebSocketServer } from 'ws'
import { candleMessage } from '../../src/live/protocol.js'
import { LiveHub, type HubFeed, type HubOptions } from '../../src/live/hub.js'
import { InProcessLiveBus } from '../../src/live/live-bus.js'
import { LiveFeed, type TopicSink } from '../../src/live/live-feed.js'
import { silentLog } from '../../src/log.js'
import type { CandleStore } from '../../src/store/candle-store.js'
import { seededStore, T0, type Teardown } from '../helpers.js'
import { waitFor } from '../ingest/ingest-helpers.js'
import { Client } from '../routes/ws-helpers.js'
import { ManualTimers } from './manual-timers.js'

class FeedDouble implements HubFeed {
  readonly log: string[] = []
  private readonly active = new Set<string>()
  private connected?: TopicSink

  activate (symbol: string, interval: string): void {
    this.log.push(`+${symbol}|${interval}`)
    this.active.add(`${symbol}|${interval}`)
  }

  deactivate (symbol: string, interval: string): void {
    this.log.push(`-${symbol}|${interval}`)
    this.active.delete(`${symbol}|${interval}`)
  }

  get activeTopics (): number {
    return this.active.size
  }

  connect (sink: TopicSink): void {
    this.connected = sink
  }

  get sink (): TopicSink {
    return this.connected!
  }
}

const BAR = [T0, 1, 2, 0.5, 1.5, 10] as [number, number, number, number, number, number]

async function startHub (t: Teardown, opts: Partial<HubOptions> & { store?: CandleStore } = {}) {
  const store = opts.store ?? await seededStore(t, ['BTCUSDT', 'ETHUSDT'], 1)
  const feed = new FeedDouble()
  const clock = new ManualTimers(1_000_000)
  const hub = new LiveHub({
    feed,
    store,
    log: silentLog,
    pingPeriodMs: 600_000,
    pongTimeoutMs: 1_200_000,
    limits: { maxQueuedMessages: 1000, maxQueuedBytes: 10_000_000, stallTimeoutMs: 60_000 },
    maxClients: 10,
    maxSubscriptions: 3,
    maxSnapshot: 2,
    broadcastTopics: [{ symbol: 'BTCUSDT', interval: '1m' }],
    isKnownSymbol: (symbol) => store.hasSymbol(symbol),
    now: clock.now,
    ...opts
  })
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(wss, 'listening')
  wss.on('connection', (socket) => hub.attach(socket))
  t.teardown(async () => {
    await hub.close()
    await new Promise((resolve) => wss.close(resolve))
  })
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`
  return { hub, feed, store, clock, wss, url }
}

/** Sends a marker to everyone and waits until each of `clients` has it: what was sent before arrived. */
async function settle (sink: TopicSink, clients: Client[]): Promise<void> {
  const marker = `m${Math.random()}`
  sink.all(JSON.stringify({ type: 'marker', marker }))
  await waitFor(() => clients.every((c) => c.messages.some((m) => m.type === 'marker' && m.marker === marker)), 30_000, 'the marker')
}

const types = (c: Client) => c.messages.filter((m) => m.type !== 'marker').map((m) => m.type === 'candle' ? `${m.symbol}|${m.interval}` : m.type)

t.test('fan-out: subscribers get their topics, never-subscribed clients the broadcast ones; the index switches topics', async (t) => {
  const { hub, feed, url } = await startHub(t)
  t.same(feed.log, ['+BTCUSDT|1m'], 'the broadcast topic is on from the start')
  const quiet = await Client.open(t, url)
  const one = await Client.open(t, url)
  const two = await Client.open(t, url)
  t.equal(quiet.messages[0]!.type, 'welcome')
  await one.subscribe('ETHUSDT', '5m')
  await two.subscribe('ethusdt', '5m')
  await two.subscribe('BTCUSDT', '1m')
  t.same(feed.log, ['+BTCUSDT|1m', '+ETHUSDT|5m'], 'the second subscriber of a topic does not activate it again')

  feed.sink.topic('BTCUSDT|1m', candleMessage('BTCUSDT', '1m', BAR, false))
  feed.sink.topic('ETHUSDT|5m', candleMessage('ETHUSDT', '5m', BAR, false))
  feed.sink.topic('ETHUSDT|1m', candleMessage('ETHUSDT', '1m', BAR, false))
  await settle(feed.sink, [quiet, one, two])
  t.same(types(quiet), ['welcome', 'BTCUSDT|1m'])
  t.same(types(one), ['welcome', 'subscribed', 'ETHUSDT|5m'])
  t.same(types(two), ['welcome', 'subscribed', 'subscribed', 'BTCUSDT|1m', 'ETHUSDT|5m'])
  t.same(two.candles('BTCUSDT', '1m'), [{ type: 'candle', symbol: 'BTCUSDT', interval: '1m', data: BAR, final: false }])
  t.match(hub.stats(), { clients: 3, subscriptions: 3, topics: 2, connections_total: 3 })

  one.send({ event: 'unsubscribe', symbol: 'ETHUSDT', interval: '5m' })
  await waitFor(() => one.count('unsubscribed') === 1, 30_000, 'unsubscribed')
  t.same(feed.log.length, 2, 'still held by the other subscriber')
  two.ws.close()
  await waitFor(() => hub.stats().clients === 2, 30_000, 'the close')
  t.same(feed.log, ['+BTCUSDT|1m', '+ETHUSDT|5m', '-ETHUSDT|5m'], 'the last holder leaving switches the topic off; the broadcast one stays')
  feed.sink.topic('BTCUSDT|1m', candleMessage('BTCUSDT', '1m', BAR, true))
  await settle(feed.sink, [quiet, one])
  t.equal(one.candles().length, 1, 'after unsubscribing from everything: no return to broadcast')
  t.equal(quiet.candles().length, 2)
  t.match(hub.stats(), { clients: 2, subscriptions: 0, topics: 1 })
})

t.test('client errors, limits and ping', async (t) => {
  const { hub, feed, url } = await startHub(t, { maxSubscriptions: 1 })
  const c = await Client.open(t, url)
  const lastError = async (frame: string | Buffer) => {
    const before = c.count('error')
    c.ws.send(frame)
    await waitFor(() => c.count('error') > before, 30_000, `an error for ${String(frame)}`)
    return c.messages.filter((m) => m.type === 'error').at(-1)
  }
  t.match(await lastError('{"event":"subscribe","symbol":"DOGEUSDT","interval":"1m"}'), { error: 'unknown_symbol', message: 'symbol DOGEUSDT is not stored or ingested here' })
  t.match(await lastError('nope'), { error: 'invalid_json' })
  t.match(await lastError(Buffer.from([1])), { error: 'invalid_message', message: 'send JSON text frames' })
  await c.subscribe('BTCUSDT', '1h')
  t.match(await lastError('{"event":"subscribe","symbol":"ETHUSDT","interval":"1h"}'), { error: 'too_many_subscriptions', message: 'at most 1 subscriptions per connection' })
  await c.subscribe('BTCUSDT', '1h')
  t.equal(c.count('subscribed'), 2, 'subscribing again to a topic it has is fine')
  c.send({ event: 'unsubscribe', symbol: 'ETHUSDT', interval: '1h' })
  await waitFor(() => c.count('unsubscribed') === 1, 30_000, 'unsubscribed')
  t.same(c.messages.at(-1), { type: 'unsubscribed', symbol: 'ETHUSDT', interval: '1h' }, 'unsubscribing from a topic it never had is answered too')
  c.send({ type: 'ping' })
  await waitFor(() => c.count('pong') === 1, 30_000, 'pong')
  t.same(feed.log, ['+BTCUSDT|1m', '+BTCUSDT|1h'])
  t.equal(hub.stats().client_errors_total, 4)
  t.equal(c.closeCode, undefined)
})

t.test('a snapshot comes before the live messages that arrived while it was read', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 1)
  let open!: () => void
  const gate = new Promise<void>((resolve) => { open = resolve })
  const slow: CandleStore = Object.create(store)
  slow.getCandles = async (query, signal) => { await gate; return await store.getCandles(query, signal) }
  const { feed, url } = await startHub(t, { store: slow })
  const c = await Client.open(t, url)
  c.send({ event: 'subscribe', symbol: 'BTCUSDT', interval: '15m', snapshot: 1000 })
  await waitFor(() => c.count('subscribed') === 1, 30_000, 'subscribed')
  feed.sink.topic('BTCUSDT|15m', candleMessage('BTCUSDT', '15m', BAR, false))
  await settle(feed.sink, [c])
  t.same(types(c), ['welcome', 'subscribed'], 'the live message waits for the snapshot')
  open()
  await waitFor(() => c.candles().length === 1, 30_000, 'the held candle')
  t.same(types(c), ['welcome', 'subscribed', 'snapshot', 'BTCUSDT|15m'])
  t.same(c.messages.find((m) => m.type === 'snapshot')!.data, await store.getCandles({ symbol: 'BTCUSDT', interval: '15m', limit: 2 }), 'at most maxSnapshot candles')
})

t.test('a failed snapshot is reported and live messages go on', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 1)
  const failing: CandleStore = Object.create(store)
  failing.getCandles = async () => { throw new Error('disk gone') }
  const { feed, url } = await startHub(t, { store: failing })
  const c = await Client.open(t, url)
  c.send({ event: 'subscribe', symbol: 'BTCUSDT', interval: '1m', snapshot: 5 })
  await waitFor(() => c.count('error') === 1, 30_000, 'the error')
  t.match(c.messages.at(-1), { type: 'error', error: 'snapshot_failed', message: 'the snapshot could not be read; live updates continue' })
  feed.sink.topic('BTCUSDT|1m', candleMessage('BTCUSDT', '1m', BAR, false))
  await waitFor(() => c.candles().length === 1, 30_000, 'a live candle')
})

t.test('the inbound budget runs on the hub clock: a burst, a refill, and a policy close for a flood', async (t) => {
  const { hub, clock, url } = await startHub(t)
  const c = await Client.open(t, url)
  for (let i = 0; i < 25; i++) c.send({ event: 'ping' })
  await waitFor(() => c.count('pong') + c.count('error') === 25, 30_000, '25 answers')
  t.equal(c.count('pong'), 20, 'a burst of 20 on a clock that does not move')
  t.match(c.messages.at(-1), { type: 'error', error: 'rate_limited', message: 'at most 10 messages per second; this one was dropped' })
  clock.advance(100)
  c.send({ event: 'ping' })
  await waitFor(() => c.count('pong') + c.count('error') === 26, 30_000, 'one more answer')
  t.equal(c.count('pong'), 21, 'one frame more after 100 ms')
  for (let i = 0; i < 60; i++) c.send({ event: 'ping' })
  t.equal(await c.closed(30_000), 1008)
  t.equal(c.closeReason, 'too many messages')
  t.equal(c.count('error'), 5 + 44, 'answered until the 50th overrun closes it')
  t.equal(hub.stats().closed_limit_total, 1)
})

t.test('keepalive on the hub clock: a client that never answers pings is closed, shutdown closes the rest', async (t) => {
  const { hub, clock, url, wss } = await startHub(t, { pingPeriodMs: 20, pongTimeoutMs: 200 })
  const deaf = await Client.open(t, url, { autoPong: false })
  const healthy = await Client.open(t, url)
  let pongs = 0
  for (const socket of wss.clients) socket.on('pong', () => { pongs++ })
  clock.advance(150)
  const seen = pongs
  // The hub's own pong listener ran before this one, so it noted the pong at the new time.
  await waitFor(() => pongs > seen, 30_000, 'a pong at the new time')
  t.equal(hub.stats().closed_pong_timeout_total, 0, '150 ms is within the timeout')
  clock.advance(100)
  t.equal(await deaf.closed(30_000), 1001)
  t.equal(deaf.closeReason, 'pong timeout')
  t.equal(hub.stats().closed_pong_timeout_total, 1)
  t.equal(healthy.closeCode, undefined, 'a client answering pings stays')
  await hub.close()
  t.equal(await healthy.closed(30_000), 1001)
  t.equal(healthy.closeReason, 'server shutting down')
})

t.test('with the real feed: a bus candle reaches a subscriber, and the feed produces exactly the held topics', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 1)
  const bus = new InProcessLiveBus()
  const feed = new LiveFeed({ bus, store, emitPartials: true, partialThrottleMs: 0, log: silentLog })
  t.teardown(() => feed.close())
  const { url } = await startHub(t, { store, feed: feed as HubFeed, broadcastTopics: [] })
  const c = await Client.open(t, url)
  await c.subscribe('BTCUSDT', '1m')
  await c.subscribe('BTCUSDT', '5m')
  t.equal(feed.activeTopics, 2)
  const ts = T0 + 86_400_000
  bus.publish({ type: 'candle', final: false, candle: { symbol: 'BTCUSDT', interval: '1m', ts, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 } })
  await waitFor(() => c.candles().length === 2, 30_000, 'two candles')
  t.same(c.candles('BTCUSDT', '1m'), [{ type: 'candle', symbol: 'BTCUSDT', interval: '1m', data: [ts, 1, 2, 0.5, 1.5, 3], final: false }])
  t.equal(c.candles('BTCUSDT', '5m')[0]!.data[0], ts, 'the 5m bucket of the new minute')
  c.ws.close()
  await waitFor(() => feed.activeTopics === 0, 30_000, 'both topics off')
})
