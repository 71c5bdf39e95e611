// The service's app (buildApp) on an in-memory store, with a bench-only IPC side door that
// publishes synthetic candles on the app's live bus, so /ws fan-out is measured without any
// exchange. Each candle carries its publish time (CLOCK_MONOTONIC ms, µs precision, which every
// process of the machine shares) in its volume, so a client computes receipt − publish itself.
// Knob: --symbols N   topic symbols besides BTCUSDT (T000USDT ... ), default 100
import { buildApp } from '../../src/app.js'
import { seedStore } from '../../src/cli/seed.js'
import { defaultConfig } from '../../src/config.js'
import { Knobs } from '../lib/args.js'
import { monoMs } from '../lib/stats.js'

const MINUTE = 60_000
const knobs = Knobs.fromArgv()
const extraSymbols = knobs.number('symbols', 100)

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
  MAX_EVENT_LOOP_DELAY_MS: 0
})

const app = await buildApp(config)
const symbols = ['BTCUSDT', ...Array.from({ length: extraSymbols }, (_, i) => `T${String(i).padStart(3, '0')}USDT`)]
// Subscriptions need symbols the store knows: two hours of history each is plenty.
const to = Math.floor(Date.now() / MINUTE) * MINUTE
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
    await app.liveHub.feed.idle()
    return { rounds, published: rounds * list.length, ms, written: app.liveHub.stats().messages_sent_total - before, writtenMs: performance.now() - started }
  },
  stats: () => ({ hub: app.liveHub.stats(), rssMb: process.memoryUsage().rss / 1048576 })
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
