// Figure 4: WebSocket fan-out of the /ws hub. A hub server process (the service's buildApp on an
// in-memory store, see servers/hub-server.ts) publishes synthetic candles on the app's live bus;
// real `ws` clients in separate worker processes timestamp each receipt on CLOCK_MONOTONIC, which
// all processes share, and subtract the publish time carried in the candle. So a latency covers
// bus → feed → serialisation → the hub's socket writes → kernel → the client's read and frame parse.
//  A. 5,000 clients on one topic; `updates` single publishes, `spacing-ms` apart.
//  B. 1,000 clients over 100 topics (10 each); `updates` rounds of one publish per topic.
//  A also measures the floor under the hub's write loop: a frame of the same size written straight
//     to each of the same 5,000 TCP sockets (no hub, no ws), i.e. the kernel's cost of the sends.
//  C. The ceiling: B's clients, publishing round after round as fast as the hub takes them for
//     `flood-seconds`; messages/s counted at the clients over the span from first to last receipt.
// Knobs: --clients 5000  --topic-clients 1000  --topics 100  --updates 30  --spacing-ms 250
//        --round-spacing-ms 100  --flood-seconds 3  --client-procs 2  --connect-concurrency 100
import { join } from 'node:path'
import { Knobs } from './lib/args.js'
import { analyze, closedByServer, hubStats } from './lib/fanout-analysis.js'
import { runBenchmark } from './lib/bench-main.js'
import { log } from './lib/log.js'
import { BENCH_DIR } from './lib/paths.js'
import { startNode } from './lib/processes.js'
import { sleep, until } from './lib/service.js'
import { latencyFigures, median, summarize } from './lib/stats.js'
import { WsPool, type Topic } from './lib/ws-pool.js'

runBenchmark('ws-fanout', async () => {
  const knobs = Knobs.fromArgv()
  const clients = knobs.number('clients', 5000)
  const topicClients = knobs.number('topic-clients', 1000)
  const topicCount = knobs.number('topics', 100)
  const updates = knobs.number('updates', 30)
  const spacingMs = knobs.number('spacing-ms', 250)
  const roundSpacingMs = knobs.number('round-spacing-ms', 100)
  const floodS = knobs.number('flood-seconds', 3)
  const procs = knobs.number('client-procs', 2)
  const concurrency = knobs.number('connect-concurrency', 100)
  const figures: Record<string, number> = {}

  const hub = startNode('hub-server', join(BENCH_DIR, 'servers', 'hub-server.ts'), ['--symbols', String(topicCount)], { ipc: true })
  const ready = await hub.waitForMessage((m): m is { ev: 'ready', port: number, symbols: string[], pid: number } => (m as { ev?: string }).ev === 'ready', 120_000)
  const url = `ws://127.0.0.1:${ready.port}/ws`
  log(`hub server pid ${ready.pid} at ${url}`)
  const pool = await WsPool.start(procs)
  const waitEmpty = async (): Promise<void> => {
    await until('the hub to see every client gone', async () => (await hubStats(hub)).clients === 0 ? true : undefined, 60_000)
  }

  // A: one topic, every client.
  const btc: Topic[] = [{ symbol: 'BTCUSDT', interval: '1m' }]
  const connA = await pool.connect(url, clients, btc, concurrency)
  log(`A: ${connA.connected}/${clients} clients subscribed to BTCUSDT 1m in ${(connA.ms / 1000).toFixed(1)} s${connA.failed > 0 ? ` (${connA.failed} failed: ${connA.errors[0]})` : ''}`)
  await sleep(500)
  const beforeA = await hubStats(hub)
  await pool.record('mono')
  let firstSeq = Number.NaN
  const sendLoopA: number[] = []
  for (let u = 0; u < updates; u++) {
    const r = await hub.request<{ firstSeq: number, sendLoopMs: number }>('publish', { symbols: ['BTCUSDT'] })
    if (u === 0) firstSeq = r.firstSeq
    sendLoopA.push(r.sendLoopMs)
    await sleep(spacingMs)
  }
  await sleep(1000)
  const a = analyze(await pool.collect(), clients, updates, 1, firstSeq)
  const statusA = await pool.status()
  const afterA = await hubStats(hub)
  const sa = summarize(a.latencies)
  log(`A: ${sa.count} receipts, p50 ${sa.p50.toFixed(2)} ms, p99 ${sa.p99.toFixed(2)} ms, max ${sa.max.toFixed(2)} ms; last client after ${median(a.completion).toFixed(2)} ms, hub write loop ${median(sendLoopA).toFixed(2)} ms (medians over updates); ${a.missing} missing, ${statusA.unexpectedCloses} closed`)
  latencyFigures(figures, 'fanout_5000', sa)
  figures['fanout_5000.clients'] = connA.connected
  figures['fanout_5000.connect_failed'] = connA.failed
  figures['fanout_5000.last_client_p50_ms'] = median(a.completion)
  figures['fanout_5000.last_client_max_ms'] = Math.max(...a.completion)
  figures['fanout_5000.hub_write_loop_ms'] = median(sendLoopA)
  figures['fanout_5000.missing_messages'] = a.missing
  figures['fanout_5000.dropped_clients'] = Math.max(a.shortClients, statusA.unexpectedCloses, closedByServer(beforeA, afterA)) + connA.failed
  figures['fanout_5000.connect_s'] = connA.ms / 1000
  // The floor: the kernel's part of the hub write loop, on the same sockets.
  await pool.record('off')
  const floor = await hub.request<{ sockets: number, frameBytes: number, loopMs: number }>('floor', { rounds: Math.max(5, Math.min(updates, 15)) }, 120_000)
  log(`A: the floor, ${floor.frameBytes}-byte frames written straight to ${floor.sockets} TCP sockets: ${floor.loopMs.toFixed(2)} ms per round (median)`)
  figures['fanout_5000.floor_write_loop_ms'] = floor.loopMs
  await sleep(500)
  await pool.closeAll()
  await waitEmpty()

  // B: 100 topics, 10 clients each.
  const topics: Topic[] = ready.symbols.filter((s) => s !== 'BTCUSDT').slice(0, topicCount).map((symbol) => ({ symbol, interval: '1m' }))
  const connB = await pool.connect(url, topicClients, topics, concurrency)
  log(`B: ${connB.connected}/${topicClients} clients over ${topics.length} topics in ${(connB.ms / 1000).toFixed(1)} s${connB.failed > 0 ? ` (${connB.failed} failed: ${connB.errors[0]})` : ''}`)
  await sleep(500)
  const beforeB = await hubStats(hub)
  await pool.record('mono')
  const sendLoopB: number[] = []
  for (let u = 0; u < updates; u++) {
    const r = await hub.request<{ firstSeq: number, sendLoopMs: number }>('publish', { symbols: topics.map((t) => t.symbol) })
    if (u === 0) firstSeq = r.firstSeq
    sendLoopB.push(r.sendLoopMs)
    await sleep(roundSpacingMs)
  }
  await sleep(1000)
  const b = analyze(await pool.collect(), topicClients, updates, topics.length, firstSeq)
  const sb = summarize(b.latencies)
  log(`B: ${sb.count} receipts, p50 ${sb.p50.toFixed(2)} ms, p99 ${sb.p99.toFixed(2)} ms, max ${sb.max.toFixed(2)} ms; ${b.missing} missing`)
  latencyFigures(figures, 'fanout_topics', sb)
  figures['fanout_topics.last_client_p50_ms'] = median(b.completion)
  figures['fanout_topics.hub_write_loop_ms'] = median(sendLoopB)
  figures['fanout_topics.missing_messages'] = b.missing

  // C: the ceiling.
  await pool.record('count')
  const flood = await hub.request<{ rounds: number, published: number, ms: number, written: number, writtenMs: number }>('flood', { symbols: topics.map((t) => t.symbol), durationMs: floodS * 1000 }, 120_000)
  // Wait until the clients have read everything the hub wrote (the count stops moving).
  let last = -1
  let counted = await pool.count()
  for (let i = 0; i < 150 && counted.count !== last; i++) {
    last = counted.count
    await sleep(300)
    counted = await pool.count()
  }
  const statusB = await pool.status()
  const afterB = await hubStats(hub)
  const ceiling = counted.count / ((counted.last - counted.first) / 1000)
  log(`C: published ${flood.published} candles in ${flood.ms.toFixed(0)} ms (${flood.rounds} rounds) → ${flood.written} messages written, ${counted.count} received: ${Math.round(ceiling)} msgs/s at the clients, ${Math.round(flood.written / (flood.writtenMs / 1000))} msgs/s written by the hub`)
  figures['fanout.ceiling_msgs_per_s'] = ceiling
  figures['fanout.hub_write_msgs_per_s'] = flood.written / (flood.writtenMs / 1000)
  figures['fanout.flood_expected_messages'] = flood.published * (topicClients / topics.length)
  figures['fanout.flood_received_messages'] = counted.count
  figures['fanout_topics.dropped_clients'] = Math.max(b.shortClients, statusB.unexpectedCloses, closedByServer(beforeB, afterB)) + connB.failed
  await pool.closeAll()
  await pool.stop()
  await hub.stop()

  return {
    figures,
    details: {
      knobs: knobs.used,
      clock: 'publish and receipt times on CLOCK_MONOTONIC (process.hrtime), µs precision, shared by all processes',
      clients: `${procs} worker process(es) of real ws clients; receipts timestamped first, parsed after the run`,
      server_close_counters_a: { before: beforeA, after: afterA },
      close_codes: { a: statusA.closeCodes, b: statusB.closeCodes },
      flood
    }
  }
})
