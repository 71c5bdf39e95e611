// Figure 1: the latest 600 candles (the front end's first request), served from the body cache,
// against a bare node:http server answering the same bytes, with the same autocannon settings
// in the same run. Both servers are separate processes; autocannon runs here.
// Knobs: --connections 50  --duration 5 (s per measurement)  --warmup 1 (s)  --threads 1 (the service's default)
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Knobs } from './lib/args.js'
import { serviceEntry } from './lib/build.js'
import { runBenchmark } from './lib/bench-main.js'
import { ensureStore } from './lib/datasets.js'
import { loadWithCpu } from './lib/cpu-load.js'
import { fetchRaw, type LoadResult } from './lib/http-load.js'
import { BENCH_DIR, TMP_DIR } from './lib/paths.js'
import { startNode } from './lib/processes.js'
import { startService, stats } from './lib/service.js'
import { latencyFigures } from './lib/stats.js'

const PATH = '/api/v1/candles?symbol=BTCUSDT&interval=1m&limit=600'

runBenchmark('rest-cached', async () => {
  const knobs = Knobs.fromArgv()
  const entry = serviceEntry(knobs.string('runtime', 'dist'))
  const connections = knobs.number('connections', 50)
  const durationS = knobs.number('duration', 5)
  const warmupS = knobs.number('warmup', 1)
  const threads = knobs.number('threads', 1)

  const store = await ensureStore('large')
  const service = await startService({ entry, duckdb: store.path, threads })
  // The first request fills the cache; its bytes become the bare server's answer.
  const first = await fetchRaw(service.origin, PATH)
  const rows = (JSON.parse(first.body.toString()) as { data: unknown[] }).data.length
  if (first.status !== 200 || rows !== 600) throw new Error(`latest-600 answered ${first.status} with ${rows} rows`)
  mkdirSync(TMP_DIR, { recursive: true })
  const bodyFile = join(TMP_DIR, `latest600-${process.pid}.body`)
  const headersFile = join(TMP_DIR, `latest600-${process.pid}.headers.json`)
  writeFileSync(bodyFile, first.body)
  writeFileSync(headersFile, JSON.stringify(first.headers))
  const bare = startNode('bare-http', join(BENCH_DIR, 'servers', 'bare-server.ts'), [bodyFile, headersFile])
  const bareOrigin = (await bare.waitForLine(/listening at (http:\/\/[\d.]+:\d+)/, 60_000))[1]!
  const bareBody = await fetchRaw(bareOrigin, PATH)
  if (!bareBody.body.equals(first.body)) throw new Error('the bare server does not answer the same bytes')

  // The CPU of the server and of autocannon over the measured seconds ride along (see lib/cpu-load.ts).
  const measure = async (name: string, origin: string, pid: number): Promise<{ r: LoadResult, serverCpuPct: number, cpuUsPerReq: number, loadgenCpuPct: number }> => {
    const m = await loadWithCpu(name, [{ origin, pid }], { connections, durationS, warmupS, path: PATH })
    return { r: m.perTarget[0]!, serverCpuPct: m.serverCpuPct, cpuUsPerReq: m.cpuUsPerReq, loadgenCpuPct: m.loadgenCpuPct }
  }

  const before = await stats(service.origin)
  const svcRun = await measure('service', service.origin, service.pid)
  const after = await stats(service.origin)
  const baseRun = await measure('bare node:http', bareOrigin, bare.pid)
  const svc = svcRun.r
  const base = baseRun.r
  await service.child.stop()
  await bare.stop()
  rmSync(bodyFile, { force: true })
  rmSync(headersFile, { force: true })

  const hits = after.cache.hits - before.cache.hits
  const misses = after.cache.misses - before.cache.misses
  const figures: Record<string, number> = {
    'cached.rps': svc.rps,
    'cached.bare_rps': base.rps,
    'cached.rps_ratio': svc.rps / base.rps,
    'cached.errors': svc.errors + svc.non2xx + svc.timeouts,
    'cached.cache_hit_ratio': hits / Math.max(1, hits + misses),
    'cached.autocannon_p99_ms': svc.autocannonP99Ms ?? Number.NaN,
    'cached.bare_autocannon_p99_ms': base.autocannonP99Ms ?? Number.NaN,
    'cached.server_cpu_pct': svcRun.serverCpuPct,
    'cached.bare.server_cpu_pct': baseRun.serverCpuPct,
    'cached.cpu_us_per_req': svcRun.cpuUsPerReq,
    'cached.bare.cpu_us_per_req': baseRun.cpuUsPerReq,
    'cached.cpu_ratio': baseRun.cpuUsPerReq / svcRun.cpuUsPerReq,
    'cached.loadgen_cpu_pct': svcRun.loadgenCpuPct,
    'cached.bare.loadgen_cpu_pct': baseRun.loadgenCpuPct
  }
  latencyFigures(figures, 'cached', svc.latency)
  latencyFigures(figures, 'cached.bare', base.latency)
  return {
    figures,
    details: {
      knobs: knobs.used,
      path: PATH,
      body_bytes: first.body.length,
      store: store.spec.name,
      latency: 'time to last byte per request, from autocannon response events (hrtime, fractional ms)',
      rps: '2xx responses / measured seconds',
      cache: { hits, misses }
    }
  }
})
