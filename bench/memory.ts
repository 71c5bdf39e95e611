// Figure 6: resident memory of the service process (not of the load generator): right after
// start with the 5M-row store open, after a mix of reads has pulled data through DuckDB, and then
// with 5,000 idle /ws clients subscribed on top. Read from /proc/<pid>/status (VmRSS; VmHWM is
// the peak), else from process_resident_memory_bytes of /metrics.
// Knobs: --clients 5000  --duration 3 (s of reads)  --settle 2 (s before each reading)  --client-procs 2  --threads 1 (the service's default)
import { Knobs } from './lib/args.js'
import { serviceEntry } from './lib/build.js'
import { runBenchmark } from './lib/bench-main.js'
import { ensureStore } from './lib/datasets.js'
import { closedLoop } from './lib/http-load.js'
import { log } from './lib/log.js'
import { residentMemory, sleep, startService, stats } from './lib/service.js'
import { seededRandom } from './lib/stats.js'
import { minuteWindows, rollupWindows } from './lib/windows.js'
import { WsPool } from './lib/ws-pool.js'

runBenchmark('memory', async () => {
  const knobs = Knobs.fromArgv()
  const entry = serviceEntry(knobs.string('runtime', 'dist'))
  const clients = knobs.number('clients', 5000)
  const durationS = knobs.number('duration', 3)
  const settleS = knobs.number('settle', 2)
  const procs = knobs.number('client-procs', 2)
  const threads = knobs.number('threads', 1)
  const figures: Record<string, number> = {}

  const store = await ensureStore('large')
  const service = await startService({ entry, duckdb: store.path, threads })
  await sleep(settleS * 1000)
  const atStart = await residentMemory(service.pid, service.origin)
  log(`after start: RSS ${atStart.rssMb.toFixed(1)} MiB`)

  // What a chart front end asks: latest pages, random history windows, roll-ups, all symbols.
  const symbols = store.spec.symbols
  const sources = [
    minuteWindows(store, symbols, 600, 3),
    minuteWindows(store, symbols, 5000, 4),
    rollupWindows(store, symbols, '1h', 600, 5),
    rollupWindows(store, symbols, '1d', 600, 6),
    ((i = 0) => () => `/api/v1/candles?symbol=${symbols[i++ % symbols.length]!}&interval=1m&limit=600`)()
  ]
  const pick = seededRandom(11)
  const reads = await closedLoop({ origin: service.origin, connections: 4, durationS, path: () => sources[Math.floor(pick() * sources.length)]!() })
  await sleep(settleS * 1000)
  const afterReads = await residentMemory(service.pid, service.origin)
  log(`after ${reads.ok} reads: RSS ${afterReads.rssMb.toFixed(1)} MiB (peak ${afterReads.peakMb.toFixed(1)} MiB)`)

  const pool = await WsPool.start(procs)
  const conn = await pool.connect(`ws://127.0.0.1:${service.port}/ws`, clients, [{ symbol: 'BTCUSDT', interval: '1m' }])
  await sleep(settleS * 1000)
  const withClients = await residentMemory(service.pid, service.origin)
  const wsStats = (await stats(service.origin)).ws
  log(`with ${conn.connected} idle subscribed clients (${wsStats.clients} on the server): RSS ${withClients.rssMb.toFixed(1)} MiB (peak ${withClients.peakMb.toFixed(1)} MiB)`)
  await pool.closeAll()
  await pool.stop()
  await service.child.stop()

  figures['memory.start_mb'] = atStart.rssMb
  figures['memory.store_mb'] = afterReads.rssMb
  figures['memory.ws_mb'] = withClients.rssMb
  figures['memory.ws_clients'] = wsStats.clients ?? Number.NaN
  figures['memory.peak_mb'] = withClients.peakMb
  figures['memory.per_client_kb'] = (withClients.rssMb - afterReads.rssMb) * 1024 / Math.max(1, conn.connected)
  figures['memory.reads'] = reads.ok
  return {
    figures,
    details: { knobs: knobs.used, store: store.spec, source: atStart.source, connect_failed: conn.failed }
  }
})
