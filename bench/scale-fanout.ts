// Several processes, /ws: one update fanned out to `clients` clients on one hub server against
// twice as many spread over two, every hub on the Redis bus. The first hub server publishes
// partial candles on its live bus (see servers/hub-server.ts), which goes through Redis to every
// hub, its own included, so both setups pay the same Redis hop and only the number of replicas
// changes. Receipt − publish on CLOCK_MONOTONIC, as in ws-fanout.
// Knobs: --clients 5000 (per hub)  --updates 30  --spacing-ms 250  --client-procs 2
//        --connect-concurrency 100  --redis-url redis://... (else a throwaway server)
import { join } from 'node:path'
import { Knobs } from './lib/args.js'
import { runBenchmark } from './lib/bench-main.js'
import { analyze, closedByServer, hubStats } from './lib/fanout-analysis.js'
import { log } from './lib/log.js'
import { BENCH_DIR } from './lib/paths.js'
import { startNode, type ManagedChild } from './lib/processes.js'
import { sleep, until } from './lib/service.js'
import { benchRedis, type BenchRedis } from './lib/shared-services.js'
import { latencyFigures, median, summarize } from './lib/stats.js'
import { WsPool, type Topic } from './lib/ws-pool.js'

const MINUTE = 60_000
const TOPIC: Topic[] = [{ symbol: 'BTCUSDT', interval: '1m' }]

interface Hub { child: ManagedChild, url: string }

async function startHub (name: string, redis: BenchRedis, to: number): Promise<Hub> {
  const child = startNode(name, join(BENCH_DIR, 'servers', 'hub-server.ts'),
    ['--symbols', '0', '--redis-url', redis.url, '--redis-prefix', redis.prefix, '--to', String(to)], { ipc: true })
  const ready = await child.waitForMessage((m): m is { ev: 'ready', port: number } => (m as { ev?: string }).ev === 'ready', 120_000)
  await until(`${name} to join the Redis bus`, async () => (await child.request<{ busReady: boolean }>('stats')).busReady ? true : undefined, 30_000)
  log(`${name} pid ${child.pid} at ws://127.0.0.1:${ready.port}/ws, on the Redis bus`)
  return { child, url: `ws://127.0.0.1:${ready.port}/ws` }
}

interface Opts { clients: number, updates: number, spacingMs: number, concurrency: number }

/** `clients` on every hub, `updates` publishes from the first one; the figures under `prefix`. */
async function phase (label: string, prefix: string, hubs: readonly Hub[], pool: WsPool, o: Opts, figures: Record<string, number>): Promise<void> {
  let connected = 0
  let failed = 0
  for (const [i, hub] of hubs.entries()) {
    const c = await pool.connect(hub.url, o.clients, TOPIC, o.concurrency, i * o.clients)
    connected += c.connected
    failed += c.failed
    log(`${label}: ${c.connected}/${o.clients} clients on hub ${i + 1} in ${(c.ms / 1000).toFixed(1)} s${c.failed > 0 ? ` (${c.failed} failed: ${c.errors[0]})` : ''}`)
  }
  await sleep(500)
  const before = await Promise.all(hubs.map(async (h) => await hubStats(h.child)))
  await pool.record('mono')
  let firstSeq = Number.NaN
  for (let u = 0; u < o.updates; u++) {
    const r = await hubs[0]!.child.request<{ firstSeq: number }>('publish', { symbols: ['BTCUSDT'] })
    if (u === 0) firstSeq = r.firstSeq
    await sleep(o.spacingMs)
  }
  await sleep(1000)
  const total = hubs.length * o.clients
  const a = analyze(await pool.collect(), total, o.updates, 1, firstSeq)
  const status = await pool.status()
  const after = await Promise.all(hubs.map(async (h) => await hubStats(h.child)))
  const closed = hubs.reduce((sum, _, i) => sum + closedByServer(before[i]!, after[i]!), 0)
  const s = summarize(a.latencies)
  log(`${label}: ${s.count} receipts, p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(2)} ms; last client after ${median(a.completion).toFixed(2)} ms (median over updates); ${a.missing} missing, ${status.unexpectedCloses} closed`)
  latencyFigures(figures, prefix, s)
  figures[`${prefix}.clients`] = connected
  figures[`${prefix}.last_client_p50_ms`] = median(a.completion)
  figures[`${prefix}.missing_messages`] = a.missing
  figures[`${prefix}.dropped_clients`] = Math.max(a.shortClients, status.unexpectedCloses, closed) + failed
  await pool.closeAll()
  for (const h of hubs) await until('the hub to see every client gone', async () => (await hubStats(h.child)).clients === 0 ? true : undefined, 60_000)
}

runBenchmark('scale-fanout', async () => {
  const knobs = Knobs.fromArgv()
  const o: Opts = {
    clients: knobs.number('clients', 5000),
    updates: knobs.number('updates', 30),
    spacingMs: knobs.number('spacing-ms', 250),
    concurrency: knobs.number('connect-concurrency', 100)
  }
  const procs = knobs.number('client-procs', 2)
  const figures: Record<string, number> = {}
  const redis = await benchRedis(knobs)
  try {
    // Every hub seeds the same history, so none takes the first hub's partials for stale ones.
    const to = Math.floor(Date.now() / MINUTE) * MINUTE
    const first = await startHub('hub-1', redis, to)
    const pool = await WsPool.start(procs)
    await phase('one hub', 'scale_fanout.one', [first], pool, o, figures)
    // The second hub starts only now, so it takes no CPU while the first is measured alone.
    const second = await startHub('hub-2', redis, to)
    await phase('two hubs', 'scale_fanout.two', [first, second], pool, o, figures)
    await pool.stop()
    await Promise.all([first, second].map(async (h) => await h.child.stop()))
  } finally {
    await redis.stop()
  }
  figures['scale_fanout.p99_ratio'] = figures['scale_fanout.two.p99_ms']! / figures['scale_fanout.one.p99_ms']!
  return {
    figures,
    details: {
      knobs: knobs.used,
      clock: 'publish and receipt times on CLOCK_MONOTONIC (process.hrtime), µs precision, shared by all processes',
      note: 'hubs, Redis and the client workers share the machine\'s cores'
    }
  }
})
