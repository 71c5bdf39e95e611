// The service's app (buildApp) on an in-memory store, with a bench-only IPC side door that
// publishes synthetic candles on the app's live bus, so /ws fan-out is measured without any
// exchange. Each candle carries its publish time (CLOCK_MONOTONIC ms, µs precision, which every
// process of the machine shares) in its volume, so a client computes receipt − publish itself.
// Knobs: --symbols N   topic symbols besides BTCUSDT (T000USDT ... ), default 100
//        --redis-url URL --redis-prefix P   the Redis bus instead of the in-process one, so several
//        hub servers fan out what any of them publishes
//        --to MS   the open time after the seeded history (default: this minute); hub servers
//        sharing a bus must agree on it, or one may take another's partials for stale ones
import type { Socket } from 'node:net'
import { buildApp } from '../../src/app.js'
import { seedStore } from '../../src/cli/seed.js'
import { defaultConfig } from '../../src/config.js'
import { candleMessage } from '../../src/live/protocol.js'
import { Knobs } from '../lib/args.js'
import { monoMs } from '../lib/stats.js'

const MINUTE = 60_000
const knobs = Knobs.fromArgv()
const extraSymbols = knobs.number('symbols', 100)
const redisUrl = knobs.string('redis-url', '')
const redisPrefix = knobs.string('redis-prefix', 'tv-api:')
const to = knobs.number('to', Math.floor(Date.now() / MINUTE) * MINUTE)

const config = defaultConfig({
  LIVE: false,
  STORAGE: 'memory',
  HOST: '127.0.0.1',
  PORT: 0,
  LOG_LEVEL: 'warn',
  THREADS: 1,
  // Nothing may close or refuse a benchmark client: many clients, deep queues, no pings.
  WS_MAX_CLIENTS: 100_000,
  WS_SEND_QUEUE_MAX_MSGS: 10_000_000,
  WS_SEND_QUEUE_MAX_BYTES: 2_000_000_000,
  WS_STALL_TIMEOUT_MS: 600_000,
  WS_PING_PERIOD_MS: 600_000,
  WS_PONG_TIMEOUT_MS: 1_200_000,
  WS_EMIT_PARTIALS: true,
  WS_PARTIAL_THROTTLE_MS: 0,
  // A saturated event loop (the flood) must not turn /stats into 503s.
  MAX_EVENT_LOOP_DELAY_MS: 0,
  ...(redisUrl === '' ? {} : { BUS: 'redis' as const, REDIS_URL: redisUrl, REDIS_PREFIX: redisPrefix })
})

const app = await buildApp(config)
const symbols = ['BTCUSDT', ...Array.from({ length: extraSymbols }, (_, i) => `T${String(i).padStart(3, '0')}USDT`)]
// Subscriptions need symbols the store knows: two hours of history each is plenty.
await seedStore(app.store, { symbols, from: to - 120 * MINUTE, to })
await app.listen({ host: config.HOST, port: 0 })
const address = app.server.address()
const port = typeof address === 'object' && address !== null ? address.port : 0

// Partials of the minute after the seeded data: never older than a final, so never dropped.
let seq = 0
function publish (symbol: string): number {
  seq++
  const publishedAt = monoMs()
  app.liveBus.publish({
    type: 'candle',
    final: false,
    candle: { symbol, interval: '1m', ts: to, open: 100, high: 100 + seq, low: 100, close: 100 + seq, volume: publishedAt }
  })
  return publishedAt
}

type Handler = (msg: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>

const handlers: Record<string, Handler> = {
  /** One partial for each listed symbol, now. */
  publish: async (m) => {
    const list = m.symbols as string[]
    const first = seq + 1
    const publishedAt = monoMs()
    for (const s of list) publish(s)
    // The feed drains the bus on the next setImmediate and writes every socket synchronously
    // there; an immediate queued after it marks the end of the hub's write loop.
    await new Promise((resolve) => setImmediate(resolve))
    return { firstSeq: first, lastSeq: seq, sendLoopMs: monoMs() - publishedAt }
  },
  /**
   * Publishes one partial per listed symbol per round, a round per event-loop turn, for
   * `durationMs`: as fast as the hub can serialise and write them.
   */
  flood: async (m) => {
    const list = m.symbols as string[]
    const durationMs = m.durationMs as number
    const before = app.liveHub.stats().messages_sent_total
    const started = performance.now()
    let rounds = 0
    await new Promise<void>((resolve) => {
      const round = (): void => {
        for (const s of list) publish(s)
        rounds++
        if (performance.now() - started < durationMs) setImmediate(round)
        else resolve()
      }
      round()
    })
    const ms = performance.now() - started
    // Let the feed drain what the last round queued.
    await app.liveFeed.idle()
    return { rounds, published: rounds * list.length, ms, written: app.liveHub.stats().messages_sent_total - before, writtenMs: performance.now() - started }
  },
  /**
   * The floor under the hub's write loop: the kernel's cost of one send per client. A frame as
   * long as a candle message is written straight to every client's TCP socket (no hub, no ws
   * Sender), `rounds` times; clients ignore its type. Bench-only: it reaches into the hub's clients.
   */
  floor: async (m) => {
    const rounds = m.rounds as number
    const hub = app.liveHub as unknown as { clients: Set<{ socket: { _socket: Socket } }> }
    const sockets = [...hub.clients].map((c) => c.socket._socket)
    const length = Buffer.byteLength(candleMessage('BTCUSDT', '1m', [to, 100, 100 + seq, 100, 100 + seq, monoMs()], false))
    const empty = Buffer.byteLength(JSON.stringify({ type: 'floor', pad: '' }))
    const payload = Buffer.from(JSON.stringify({ type: 'floor', pad: 'x'.repeat(Math.max(0, length - empty)) }))
    const header = payload.length < 126 ? Buffer.from([0x81, payload.length]) : Buffer.from([0x81, 126, payload.length >> 8, payload.length & 0xff])
    const frame = Buffer.concat([header, payload])
    const loops: number[] = []
    for (let r = 0; r < rounds; r++) {
      const started = performance.now()
      for (const socket of sockets) socket.write(frame)
      loops.push(performance.now() - started)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    loops.sort((a, b) => a - b)
    return { sockets: sockets.length, frameBytes: frame.length, loopMs: loops[loops.length >> 1] }
  },
  stats: () => ({ hub: app.liveHub.stats(), busReady: app.liveBus.ready(), rssMb: process.memoryUsage().rss / 1048576 })
}

process.on('message', (raw) => {
  const msg = raw as { id: number, cmd: string } & Record<string, unknown>
  Promise.resolve()
    .then(() => {
      const h = handlers[msg.cmd]
      if (h === undefined) throw new Error(`unknown command ${msg.cmd}`)
      return h(msg)
    })
    .then(
      (result) => process.send?.({ id: msg.id, ok: true, ...result }),
      (err: unknown) => process.send?.({ id: msg.id, ok: false, error: (err as Error).message })
    )
})

let closing = false
async function shutdown (): Promise<void> {
  if (closing) return
  closing = true
  await app.close().catch(() => {})
  process.exit(0)
}
process.on('disconnect', () => { void shutdown() })
process.once('SIGTERM', () => { void shutdown() })
process.once('SIGINT', () => { void shutdown() })
process.send?.({ ev: 'ready', port, symbols, pid: process.pid })
