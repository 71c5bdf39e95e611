import t from 'tap'
import { Redis } from 'ioredis'
import type { Candle } from '../../src/domain/candle.js'
import { silentLog } from '../../src/log.js'
import type { LiveMessage, WriteNotice } from '../../src/live/live-bus.js'
import { RedisLiveBus } from '../../src/live/redis-live-bus.js'
import type { CandleStore } from '../../src/store/candle-store.js'
import { memoryStore, MIN, T0, type Teardown } from '../helpers.js'
import { waitFor } from '../ingest/ingest-helpers.js'
import { redisService, redisSkip, startRedis } from '../services/redis.js'
import { TcpProxy } from './tcp-proxy.js'

const WAIT_MS = 30_000

function minute (symbol: string, i: number, close = 100 + i): Candle {
  return { symbol, interval: '1m', ts: T0 + i * MIN, open: 100, high: Math.max(100, close) + 1, low: Math.min(100, close) - 1, close, volume: 1 + i }
}

function newBus (t: Teardown, url: string, prefix: string, store: CandleStore, extra: Partial<ConstructorParameters<typeof RedisLiveBus>[0]> = {}): RedisLiveBus {
  const bus = new RedisLiveBus({ url, prefix, store, publishLimit: 600, log: silentLog, ...extra })
  t.teardown(() => bus.close())
  return bus
}

async function connected (...buses: RedisLiveBus[]): Promise<void> {
  await waitFor(() => buses.every((b) => b.ready()), WAIT_MS, 'the buses to connect')
  for (const b of buses) await b.idle()
}

function collect (bus: RedisLiveBus): LiveMessage[] {
  const got: LiveMessage[] = []
  bus.subscribe((m) => got.push(m))
  return got
}

/** Two connected buses over the shared test Redis, on one store, with a prefix of their own. */
async function connectedPair (t: Teardown): Promise<{ url: string, prefix: string, a: RedisLiveBus, b: RedisLiveBus }> {
  const { url, prefix } = await redisService()
  const store = await memoryStore(t)
  const a = newBus(t, url, prefix, store)
  const b = newBus(t, url, prefix, store)
  await connected(a, b)
  return { url, prefix, a, b }
}

const finalsOf = (got: LiveMessage[]) => got.flatMap((m) => m.type === 'candle' && m.final ? [m.candle.ts] : [])
const minutes = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => T0 + (from + k) * MIN)

t.test('two buses over one Redis: every message reaches both, in publishing order', { skip: redisSkip() }, async (t) => {
  const { a, b } = await connectedPair(t)
  const gotA = collect(a)
  const gotB = collect(b)
  const notesA: WriteNotice[] = []
  const notesB: WriteNotice[] = []
  a.subscribeWrites((n) => notesA.push(n))
  b.subscribeWrites((n) => notesB.push(n))

  const sent: LiveMessage[] = []
  for (let i = 0; i < 100; i++) {
    for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
      sent.push({ type: 'candle', candle: minute(symbol, i, 100 + i / 2), final: false })
      sent.push({ type: 'candle', candle: minute(symbol, i), final: true })
    }
  }
  sent.push({ type: 'resync_done', interval: '1m', symbols: ['BTCUSDT', 'ETHUSDT'] })
  const notice: WriteNotice = { symbols: ['BTCUSDT'], ranges: [{ symbol: 'BTCUSDT', interval: '1m', first: T0, last: T0 + 99 * MIN }] }
  for (const [i, msg] of sent.entries()) {
    a.publish(msg)
    if (i === 10) a.publishWrite(notice)
  }
  await waitFor(() => gotA.length === sent.length && gotB.length === sent.length, WAIT_MS, 'every message on both buses')
  t.same(gotB, sent, 'the other process got every message, in order, equal to what was published')
  t.same(gotA, sent, 'the publishing process got its own messages too')
  t.same(notesB, [notice], 'the write notice reached the other process')
  t.same(notesA, [], 'and not the process that wrote')
  t.match(b.status(), { kind: 'redis', connected: true, received_total: sent.length + 1, invalid_total: 0, reconnects_total: 0 })
  t.match(a.status(), { published_total: sent.length + 1, publish_failed_total: 0 })
})

t.test('what is not a bus message is dropped and counted', { skip: redisSkip() }, async (t) => {
  const { url, prefix, a, b } = await connectedPair(t)
  const got = collect(b)
  const raw = new Redis(url)
  t.teardown(() => raw.quit())
  const channel = `${prefix}live`
  for (const text of ['not json', '{"o":"x"}', '{"o":"x","m":{"type":"candle","final":true,"candle":{"symbol":"BTCUSDT","interval":"1m","ts":-5}}}', '{"o":"x","m":{"type":"resync_done","interval":"2m","symbols":[]}}', '{"o":"x","m":{"type":"write","symbols":["A"],"ranges":[{"symbol":"A","interval":"1m","first":9,"last":1}]}}']) {
    await raw.publish(channel, text)
  }
  const valid: LiveMessage = { type: 'candle', candle: minute('BTCUSDT', 0), final: true }
  a.publish(valid)
  await waitFor(() => got.length === 1, WAIT_MS, 'the valid message')
  t.same(got, [valid], 'only the bus message was delivered')
  t.equal(b.status().invalid_total, 5)
})

t.test('Redis restarted: the buses reconnect by themselves and finals stored meanwhile reach subscribers, then resync_done', { skip: redisSkip() }, async (t) => {
  const server = await startRedis()
  let current = server
  t.teardown(() => current.stop())
  const port = Number(new URL(server.url).port)
  const store = await memoryStore(t)
  const a = newBus(t, server.url, 'restart:', store)
  const b = newBus(t, server.url, 'restart:', store)
  await connected(a, b)
  const got = collect(b)

  // The ingest side: store each closed minute, then publish it.
  const closeMinutes = async (from: number, to: number) => {
    for (let i = from; i <= to; i++) {
      await store.upsertBatch([minute('BTCUSDT', i)])
      a.publish({ type: 'candle', candle: minute('BTCUSDT', i), final: true })
    }
  }
  await closeMinutes(0, 4)
  await waitFor(() => got.length === 5, WAIT_MS, 'the first finals')

  await server.stop()
  await waitFor(() => !a.ready() && !b.ready(), WAIT_MS, 'both buses to see the server gone')
  t.notOk(b.ready(), 'a disconnected bus is not ready')
  await closeMinutes(5, 9)
  a.publish({ type: 'candle', candle: minute('BTCUSDT', 10, 111), final: false })
  // Nothing is queued for later: each publish fails (its promise rejects) while the server is gone.
  await waitFor(() => a.status().publish_failed_total >= 6, WAIT_MS, 'the publishes to fail')

  current = await startRedis({ port })
  await waitFor(() => got.some((m) => m.type === 'resync_done'), WAIT_MS, 'the recovery to finish')
  await connected(a, b)
  t.same(finalsOf(got), minutes(0, 9), 'every final, once each, in order: those missed came from the store')
  const resync = got.findIndex((m) => m.type === 'resync_done')
  t.same(got[resync], { type: 'resync_done', interval: '1m', symbols: ['BTCUSDT'] }, 'then resync_done names the symbol')
  t.equal(resync, got.length - 1, 'after the recovered finals')
  const recovered = got.slice(5, 10) as Array<Extract<LiveMessage, { type: 'candle' }>>
  t.same(recovered.map((m) => m.candle), [5, 6, 7, 8, 9].map((i) => minute('BTCUSDT', i)), 'each recovered final equals the stored candle')
  t.match(b.status(), { connected: true, reconnects_total: 1, recovered_finals_total: 5 })

  await closeMinutes(10, 10)
  await waitFor(() => finalsOf(got).length === 11, WAIT_MS, 'a final published after the restart')
  t.same(finalsOf(got), minutes(0, 10), 'messages flow again')
  t.equal(got.filter((m) => m.type === 'resync_done').length, 1, 'one resync_done for the outage')
})

t.test('a publisher that lost messages tells every replica, which recovers them from the store', { skip: redisSkip() }, async (t) => {
  const { url, prefix } = await redisService()
  const proxy = await TcpProxy.start(Number(new URL(url).port))
  t.teardown(() => proxy.close())
  const store = await memoryStore(t)
  const a = newBus(t, proxy.via(url), prefix, store)
  const b = newBus(t, url, prefix, store)
  await connected(a, b)
  const got = collect(b)
  const closeMinute = async (i: number) => {
    await store.upsertBatch([minute('ETHUSDT', i)])
    a.publish({ type: 'candle', candle: minute('ETHUSDT', i), final: true })
  }
  for (let i = 0; i < 3; i++) await closeMinute(i)
  await waitFor(() => got.length === 3, WAIT_MS, 'the first finals')

  proxy.cut()
  await waitFor(() => !a.ready(), WAIT_MS, 'the publisher to lose its connection')
  for (let i = 3; i < 6; i++) await closeMinute(i)
  t.ok(b.ready(), 'the replica stayed connected: without a notice it would never know')
  proxy.resume()
  await waitFor(() => got.some((m) => m.type === 'resync_done'), WAIT_MS, 'the replica to recover')
  t.same(finalsOf(got), minutes(0, 5), 'the finals published while the publisher was cut off arrived, in order')
  t.same(got.at(-1), { type: 'resync_done', interval: '1m', symbols: ['ETHUSDT'] })
  t.match(b.status(), { reconnects_total: 0, recovered_finals_total: 3 })
})

t.test('a connection that stops answering is dropped, made again, and what was missed recovered', { skip: redisSkip() }, async (t) => {
  const { url, prefix } = await redisService()
  const proxy = await TcpProxy.start(Number(new URL(url).port))
  t.teardown(() => proxy.close())
  const store = await memoryStore(t)
  const a = newBus(t, url, prefix, store)
  const b = newBus(t, proxy.via(url), prefix, store, { heartbeatMs: 300 })
  await connected(a, b)
  const got = collect(b)
  const closeMinute = async (i: number) => {
    await store.upsertBatch([minute('BTCUSDT', i)])
    a.publish({ type: 'candle', candle: minute('BTCUSDT', i), final: true })
  }
  await closeMinute(0)
  await waitFor(() => got.length === 1, WAIT_MS, 'the first final')
  proxy.freeze()
  await closeMinute(1)
  await waitFor(() => !b.ready(), WAIT_MS, 'the silent connection to be given up')
  await closeMinute(2)
  proxy.resume()
  await waitFor(() => got.some((m) => m.type === 'resync_done'), WAIT_MS, 'the recovery')
  t.same(finalsOf(got), minutes(0, 2), 'nothing missed, nothing twice')
  t.ok(b.status().reconnects_total >= 1)
})
