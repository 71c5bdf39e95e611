// Figure 5c: the live path. The Binance simulator (its own process, partial kline every 100 ms)
// streams to the service (its own process, LIVE=1, in-memory store), which pushes each candle to
// 100 /ws subscribers (a worker process). A raw client connected straight to the simulator's
// stream records every kline event's `E` (the simulator's event time, epoch ms) keyed by
// (open time, close, volume, final); each subscriber receipt (epoch ms, sub-ms) is paired with the
// event of the same key, in order, and receipt − E is the latency: simulator send → service
// ingest (parse, validate, store finals) → bus → hub → socket → client read.
// Partials repeat a key while the price stands still (12 sub-steps per minute), so the n-th
// receipt of a key is paired with the n-th event of it. The reference client keeps every event
// from before the subscribers connect, and only keys first sent after the subscribers started
// recording count, so both sides hold every event of a counted key and the n-th really is the
// n-th. The simulator's clock is offset so that one minute closes inside the recording: its final
// (stored, then pushed) is part of every run.
// Knobs: --duration 15 (s recorded, extended to 3 s past the minute close)  --live-clients 100  --threads 2
import { join } from 'node:path'
import WebSocket from 'ws'
import { Knobs } from './lib/args.js'
import { serviceEntry } from './lib/build.js'
import { runBenchmark } from './lib/bench-main.js'
import { log } from './lib/log.js'
import { BENCH_DIR } from './lib/paths.js'
import { startNode } from './lib/processes.js'
import { sleep, startService, stats, until } from './lib/service.js'
import { latencyFigures, summarize, wallMs } from './lib/stats.js'
import { WsPool } from './lib/ws-pool.js'

interface KlineEvent { E: number, k: { t: number, c: string, v: string, x: boolean } }

runBenchmark('live', async () => {
  const knobs = Knobs.fromArgv()
  const entry = serviceEntry(knobs.string('runtime', 'dist'))
  const durationS = knobs.number('duration', 15)
  const clients = knobs.number('live-clients', 100)
  const threads = knobs.number('threads', 2)
  const figures: Record<string, number> = {}

  const sim = startNode('sim-server', join(BENCH_DIR, 'servers', 'sim-server.ts'), ['--symbols', 'BTCUSDT'], { ipc: true })
  const { restUrl, wsUrl, offsetMs, boundaryAtMs } = await sim.waitForMessage((m): m is { ev: 'ready', restUrl: string, wsUrl: string, offsetMs: number, boundaryAtMs: number } =>
    (m as { ev?: string }).ev === 'ready', 60_000)
  log(`simulator at ${restUrl}, its clock ${(offsetMs / 1000).toFixed(1)} s ahead`)

  // The reference: every event as the simulator sent it.
  const firstSeen = new Map<string, number>()
  const events = new Map<string, number[]>()
  const hop: number[] = []
  let recording = false
  const raw = new WebSocket(`${wsUrl}/ws/btcusdt@kline_1m`, { perMessageDeflate: false })
  raw.on('message', (data: Buffer) => {
    const t = wallMs()
    const e = JSON.parse(data.toString()) as KlineEvent
    if (e.k === undefined) return
    const key = `${e.k.t}|${Number(e.k.c)}|${Number(e.k.v)}|${e.k.x ? 1 : 0}`
    // Back to wall time: the simulator's clock runs `offsetMs` ahead.
    const sentAt = e.E - offsetMs
    if (!firstSeen.has(key)) firstSeen.set(key, sentAt)
    let list = events.get(key)
    if (list === undefined) events.set(key, list = [])
    list.push(sentAt)
    if (recording) hop.push(t - sentAt)
  })
  await new Promise<void>((resolve, reject) => { raw.once('open', () => resolve()); raw.once('error', reject) })

  const service = await startService({
    entry,
    threads,
    args: ['--live=1', '--binance-rest-url', restUrl, '--binance-ws-url', wsUrl, '--live-symbols', 'BTCUSDT', '--live-lookback', '90m']
  })
  await until('the service to stream from the simulator', async () => (await stats(service.origin)).ws_state === 1 ? true : undefined, 60_000)
  const pool = await WsPool.start(1)
  const conn = await pool.connect(`ws://127.0.0.1:${service.port}/ws`, clients, [{ symbol: 'BTCUSDT', interval: '1m' }])
  log(`${conn.connected}/${clients} subscribers on BTCUSDT 1m; recording ${durationS} s`)
  await sleep(1000)

  await pool.record('wall')
  // Taken after every subscriber records: an event sent from here on reaches a recording client.
  const recordStart = Date.now()
  recording = true
  // Record for the duration, and at least until 3 s after the next minute close.
  let boundary = boundaryAtMs
  while (boundary < recordStart + 1000) boundary += 60_000
  const recordEnd = Math.max(recordStart + durationS * 1000, boundary + 3000)
  if (boundary !== boundaryAtMs) log(`setup outlasted the planned minute close: recording ${((recordEnd - recordStart) / 1000).toFixed(0)} s`)
  await sleep(recordEnd - Date.now())
  recording = false
  await sleep(500)
  const s = await pool.collect()
  const status = await pool.status()
  raw.close()
  await pool.closeAll()
  await pool.stop()
  await service.child.stop()
  await sim.stop()

  const latencies: number[] = []
  const finals: number[] = []
  const partials: number[] = []
  const next = new Map<string, number>()
  let ignored = 0
  let unmatched = 0
  for (let i = 0; i < s.t.length; i++) {
    const key = `${s.ts[i]!}|${s.close[i]!}|${s.volume[i]!}|${s.final[i]!}`
    const list = events.get(key)
    if (list === undefined || (firstSeen.get(key) ?? 0) < recordStart) {
      ignored++
      continue
    }
    const slot = `${s.client[i]!}|${key}`
    const n = next.get(slot) ?? 0
    if (n >= list.length) {
      unmatched++
      continue
    }
    next.set(slot, n + 1)
    const lat = s.t[i]! - list[n]!
    latencies.push(lat)
    if (s.final[i] === 1) finals.push(lat)
    else partials.push(lat)
  }
  const sl = summarize(latencies)
  const sh = summarize(hop)
  log(`${sl.count} receipts matched (${ignored} of keys seen before recording, ${unmatched} without an event): p50 ${sl.p50.toFixed(2)} ms, p99 ${sl.p99.toFixed(2)} ms, max ${sl.max.toFixed(2)} ms; simulator → direct client p50 ${sh.p50.toFixed(2)} ms`)
  if (sl.count === 0) throw new Error('no subscriber receipt could be paired with a simulator event')
  latencyFigures(figures, 'live', sl)
  figures['live.finals'] = finals.length
  if (finals.length > 0) {
    figures['live.final_p50_ms'] = summarize(finals).p50
    figures['live.final_max_ms'] = summarize(finals).max
  }
  figures['live.partial_p50_ms'] = summarize(partials).p50
  figures['live.partial_p99_ms'] = summarize(partials).p99
  figures['live.unmatched'] = unmatched
  figures['live.events'] = hop.length
  figures['live.sim_hop_p50_ms'] = sh.p50
  figures['live.sim_hop_p99_ms'] = sh.p99
  figures['live.dropped_clients'] = status.unexpectedCloses + conn.failed
  return {
    figures,
    details: {
      knobs: knobs.used,
      clock: 'E is the simulator clock (wall time + a fixed offset, whole ms, floored); receipts are epoch ms with sub-ms precision, so a latency can read up to 1 ms high',
      recorded_s: (recordEnd - recordStart) / 1000,
      subscribers: conn.connected
    }
  }
})
