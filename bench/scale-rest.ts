// Several processes, REST: the cached latest 600 candles from one `ROLE=all` process on the
// DuckDB store against one and two `ROLE=api` replicas sharing a PostgreSQL store (the same
// rows, copied in with `tv-api copy`) and a Redis bus. Each setup gets the same closed-loop load
// from autocannon in this process; against two replicas one instance per replica with half the
// connections each (see lib/cpu-load.ts), so the load is spread evenly without a balancer.
// Knobs: --connections 50 (in all)  --duration 5 (s per measurement)  --warmup 1 (s)  --threads 1
// --url postgres://... (else a throwaway server)  --redis-url redis://... (else a throwaway server)
import { Knobs } from './lib/args.js'
import { serviceEntry } from './lib/build.js'
import { runBenchmark } from './lib/bench-main.js'
import { loadWithCpu, type CpuLoadOptions, type CpuLoadResult } from './lib/cpu-load.js'
import { ensureStore } from './lib/datasets.js'
import { fetchRaw } from './lib/http-load.js'
import { log } from './lib/log.js'
import { runToExit } from './lib/processes.js'
import { startService, stats, type Service } from './lib/service.js'
import { benchDatabase, benchRedis } from './lib/shared-services.js'
import { latencyFigures } from './lib/stats.js'

const PATH = '/api/v1/candles?symbol=BTCUSDT&interval=1m&limit=600'

/** The first answer fills each process's cache; every process must answer the same bytes. */
async function primed (services: readonly Service[]): Promise<Buffer> {
  const bodies = await Promise.all(services.map(async (s) => await fetchRaw(s.origin, PATH)))
  for (const b of bodies) {
    const rows = (JSON.parse(b.body.toString()) as { data: unknown[] }).data.length
    if (b.status !== 200 || rows !== 600) throw new Error(`latest-600 answered ${b.status} with ${rows} rows`)
  }
  if (bodies.some((b) => !b.body.equals(bodies[0]!.body))) throw new Error('the processes do not answer the same bytes')
  return bodies[0]!.body
}

/** The load, and the share of it the processes answered from their latest-N cache. */
async function measured (name: string, services: readonly Service[], load: CpuLoadOptions): Promise<CpuLoadResult & { hitRatio: number }> {
  const count = async (): Promise<{ hits: number, misses: number }> => (await Promise.all(services.map(async (s) => (await stats(s.origin)).cache)))
    .reduce((sum, c) => ({ hits: sum.hits + c.hits, misses: sum.misses + c.misses }), { hits: 0, misses: 0 })
  const before = await count()
  const r = await loadWithCpu(name, services, load)
  const after = await count()
  const hits = after.hits - before.hits
  return { ...r, hitRatio: hits / Math.max(1, hits + after.misses - before.misses) }
}

runBenchmark('scale-rest', async () => {
  const knobs = Knobs.fromArgv()
  const entry = serviceEntry(knobs.string('runtime', 'dist'))
  const load = { connections: knobs.number('connections', 50), durationS: knobs.number('duration', 5), warmupS: knobs.number('warmup', 1), path: PATH }
  const threads = knobs.number('threads', 1)

  const store = await ensureStore('small')
  const db = await benchDatabase(knobs, 'tv_bench_scale')
  const redis = await benchRedis(knobs)
  const runs: Record<string, CpuLoadResult & { hitRatio: number }> = {}
  let bodyBytes = 0
  try {
    const copied = await runToExit('copy', entry, ['copy', '--from', store.path, '--to', db.url, '--log-level', 'warn'], 600_000)
    log(`${store.spec.name} copied into PostgreSQL in ${(copied.wallMs / 1000).toFixed(1)} s: ${copied.stdout.at(-1) ?? ''}`)

    // One setup at a time, so no idle process holds memory or a core while another is measured.
    const all = await startService({ entry, duckdb: store.path, threads, name: 'all' })
    bodyBytes = (await primed([all])).length
    runs.all = await measured('one ROLE=all process', [all], load)
    await all.child.stop()

    const shared = ['--storage', 'postgres', '--database-url', db.url, '--bus', 'redis', '--redis-url', redis.url, '--redis-prefix', redis.prefix]
    const api = await Promise.all(['api-1', 'api-2'].map(async (name) =>
      await startService({ entry, threads, name, storage: ['--role', 'api', ...shared] })))
    await primed(api)
    runs.api1 = await measured('one ROLE=api replica', [api[0]!], load)
    runs.api2 = await measured('two ROLE=api replicas', api, load)
    await Promise.all(api.map(async (s) => await s.child.stop()))
  } finally {
    await redis.stop()
    await db.stop()
  }

  const figures: Record<string, number> = {
    'scale.factor': runs.api2!.rps / runs.all!.rps,
    'scale.replica_factor': runs.api2!.rps / runs.api1!.rps,
    'scale.cpu_factor': runs.all!.cpuUsPerReq / runs.api2!.cpuUsPerReq
  }
  for (const [k, r] of Object.entries(runs)) {
    figures[`scale.${k}.rps`] = r.rps
    figures[`scale.${k}.failed`] = r.failed
    figures[`scale.${k}.cache_hit_ratio`] = r.hitRatio
    figures[`scale.${k}.server_cpu_pct`] = r.serverCpuPct
    figures[`scale.${k}.cpu_us_per_req`] = r.cpuUsPerReq
    figures[`scale.${k}.loadgen_cpu_pct`] = r.loadgenCpuPct
    figures[`scale.${k}.autocannon_p99_ms`] = r.autocannonP99Ms
    latencyFigures(figures, `scale.${k}`, r.latency)
  }
  log(`scaling factor, two replicas ÷ one process: ${figures['scale.factor']!.toFixed(2)}× (÷ one replica: ${figures['scale.replica_factor']!.toFixed(2)}×); CPU per request, one process ÷ two replicas: ${figures['scale.cpu_factor']!.toFixed(2)}×`)
  return {
    figures,
    details: {
      knobs: knobs.used,
      path: PATH,
      body_bytes: bodyBytes,
      store: store.spec.name,
      note: 'the load generator runs on the same cores as the servers; with 2 cores requests/s of two replicas are bounded by what it leaves them'
    }
  }
})
