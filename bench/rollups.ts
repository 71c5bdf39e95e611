// Figure 3: roll-ups computed from 1m data, uncached: the last 600 bars of 1h and of 1d before a
// random `to`, from the 5-symbol store. A 1d request aggregates 864,000 minutes, a 1h one 36,000.
// Knobs: --connections 1 (concurrent requests)  --duration 4 (s per interval)  --warmup 1  --threads 1 (the service's default)
import { Knobs } from './lib/args.js'
import { serviceEntry } from './lib/build.js'
import { runBenchmark } from './lib/bench-main.js'
import { ensureStore } from './lib/datasets.js'
import { closedLoop, fetchRaw } from './lib/http-load.js'
import { log } from './lib/log.js'
import { startService, stats } from './lib/service.js'
import { latencyFigures } from './lib/stats.js'
import { rollupWindows } from './lib/windows.js'

runBenchmark('rollups', async () => {
  const knobs = Knobs.fromArgv()
  const entry = serviceEntry(knobs.string('runtime', 'dist'))
  const connections = knobs.number('connections', 1)
  const durationS = knobs.number('duration', 4)
  const warmupS = knobs.number('warmup', 1)
  const threads = knobs.number('threads', 1)
  const figures: Record<string, number> = {}

  const store = await ensureStore('large')
  const service = await startService({ entry, duckdb: store.path, threads })
  const before = (await stats(service.origin)).cache
  for (const interval of ['1h', '1d'] as const) {
    const path = rollupWindows(store, store.spec.symbols, interval, 600)()
    const r = await fetchRaw(service.origin, path)
    const n = r.status === 200 ? (JSON.parse(r.body.toString()) as { data: unknown[] }).data.length : -1
    if (n !== 600) throw new Error(`${path} answered ${r.status} with ${n} bars`)
    await closedLoop({ origin: service.origin, connections, durationS: warmupS, path: rollupWindows(store, store.spec.symbols, interval, 600, 99) })
    const res = await closedLoop({ origin: service.origin, connections, durationS, path: rollupWindows(store, store.spec.symbols, interval, 600, 1) })
    log(`600 x ${interval}: ${res.rps.toFixed(0)} req/s, p50 ${res.latency.p50.toFixed(2)} ms, p99 ${res.latency.p99.toFixed(2)} ms, max ${res.latency.max.toFixed(2)} ms, ${res.non2xx + res.errors} failed`)
    latencyFigures(figures, `rollup_${interval}`, res.latency)
    figures[`rollup_${interval}.rps`] = res.rps
    figures[`rollup_${interval}.failed`] = res.non2xx + res.errors
  }
  const after = (await stats(service.origin)).cache
  // With a random `to` nothing should come from the latest-N cache; a hit would flatter the figures.
  figures['rollup.cache_hits'] = after.hits - before.hits
  await service.child.stop()
  return {
    figures,
    details: {
      knobs: knobs.used,
      store: store.spec,
      load: `closed loop with ${connections} connection(s) (autocannon); latency per request to the last byte`
    }
  }
})
