// Uncached 600-row windows over HTTP from the 5-symbol, 2-year store (5.26M rows) on each engine:
// one process on the DuckDB file against one on a PostgreSQL database holding the same rows
// (copied in with `tv-api copy`), the same requests to both, one engine at a time. Per engine:
// one request at a time (the latency of a request on its own), a paced load (how the tail grows
// with load), and a closed loop with requests always waiting (capacity), with the CPU the service
// and, for PostgreSQL, the server's backends spent per request.
// Knobs: --duration 4 (s per measurement)  --warmup 1 (s)  --rate 300 (paced requests/s)
//        --capacity-connections 8  --sockets 64  --timeout-ms 2000  --threads 1
//        --url postgres://... (else a throwaway server)
import { availableParallelism } from 'node:os'
import { Knobs } from './lib/args.js'
import { serviceEntry } from './lib/build.js'
import { runBenchmark } from './lib/bench-main.js'
import { ensureStore, type StoreInfo } from './lib/datasets.js'
import { closedLoop, fetchRaw, openLoop, waitIdle, type LoadResult } from './lib/http-load.js'
import { log } from './lib/log.js'
import { runToExit } from './lib/processes.js'
import { cpuTimeMs, startService, stats, type Service } from './lib/service.js'
import { backendCpuSince, benchDatabase, type BenchDatabase } from './lib/shared-services.js'
import { latencyFigures } from './lib/stats.js'
import { minuteWindows } from './lib/windows.js'

const ENGINES = ['duckdb', 'postgres'] as const
type Engine = typeof ENGINES[number]

interface Settings {
  durationS: number
  warmupS: number
  rate: number
  capacityConnections: number
  sockets: number
  timeoutMs: number
}

function show (name: string, r: LoadResult): void {
  log(`${name}: ${r.rps.toFixed(0)} req/s, p50 ${r.latency.p50.toFixed(2)} ms, p99 ${r.latency.p99.toFixed(2)} ms, max ${r.latency.max.toFixed(2)} ms, ${r.non2xx + r.errors + r.timeouts} failed`)
}

/** The same window from both engines: equal bytes, 600 rows (else the comparison means nothing). */
async function sameAnswers (services: Record<Engine, Service>, store: StoreInfo): Promise<void> {
  const next = minuteWindows(store, store.spec.symbols, 600, 3)
  for (let i = 0; i < 20; i++) {
    const path = next()
    const [d, p] = await Promise.all(ENGINES.map(async (e) => await fetchRaw(services[e].origin, path)))
    const rows = d!.status === 200 ? (JSON.parse(d!.body.toString()) as { data: unknown[] }).data.length : -1
    if (rows !== 600) throw new Error(`${path} answered ${d!.status} with ${rows} rows from DuckDB, expected 600`)
    if (p!.status !== 200 || !p!.body.equals(d!.body)) throw new Error(`${path}: PostgreSQL answered other bytes than DuckDB`)
  }
}

async function measure (engine: Engine, service: Service, store: StoreInfo, db: BenchDatabase | undefined, s: Settings, figures: Record<string, number>): Promise<void> {
  const key = (k: string) => `engines.${engine}.${k}`
  const cacheBefore = (await stats(service.origin)).cache
  await closedLoop({ origin: service.origin, connections: 1, durationS: s.warmupS, path: minuteWindows(store, ['BTCUSDT'], 600, 98) })

  const single = await closedLoop({ origin: service.origin, connections: 1, durationS: s.durationS, path: minuteWindows(store, ['BTCUSDT'], 600, 7) })
  show(`${engine}: 600 rows, 1 connection`, single)
  latencyFigures(figures, key('single'), single.latency)
  figures[key('single.rps')] = single.rps

  await waitIdle(service.origin)
  const paced = await openLoop({ origin: service.origin, rate: s.rate, durationS: s.durationS, path: minuteWindows(store, store.spec.symbols, 600, 1), maxSockets: s.sockets, timeoutMs: s.timeoutMs })
  show(`${engine}: 600 rows at ${s.rate} req/s asked`, paced)
  latencyFigures(figures, key('paced'), paced.latency)
  figures[key('paced.rps')] = paced.rps
  figures[key('paced.failed')] = paced.non2xx + paced.errors + paced.timeouts
  await waitIdle(service.origin)

  const serviceBefore = cpuTimeMs(service.pid)
  const backendsBefore = await db?.backendCpu()
  const capacity = await closedLoop({ origin: service.origin, connections: s.capacityConnections, durationS: s.durationS, path: minuteWindows(store, store.spec.symbols, 600, 5) })
  const answered = Math.max(1, capacity.rps * capacity.durationS)
  const serviceMs = (cpuTimeMs(service.pid) - serviceBefore) / answered
  const backendMs = db === undefined || backendsBefore === undefined ? 0 : backendCpuSince(backendsBefore, await db.backendCpu()) / answered
  show(`${engine}: 600 rows, ${s.capacityConnections} connections (capacity)`, capacity)
  const cores = availableParallelism()
  log(`${engine}: ${serviceMs.toFixed(2)} ms of service CPU per request${db === undefined ? '' : ` + ${backendMs.toFixed(2)} ms in PostgreSQL's backends`}: ${cores} cores answer at most ${Math.round(cores / (serviceMs + backendMs) * 1000)} req/s with a free load generator`)
  latencyFigures(figures, key('capacity'), capacity.latency)
  figures[key('capacity.rps')] = capacity.rps
  figures[key('capacity.failed')] = capacity.non2xx + capacity.errors + capacity.timeouts
  figures[key('capacity.service_cpu_ms_per_req')] = serviceMs
  figures[key('capacity.backend_cpu_ms_per_req')] = backendMs
  figures[key('cpu_bound_rps')] = cores / (serviceMs + backendMs) * 1000
  // Every request names from/to: a cache hit would flatter the engine.
  figures[key('cache_hits')] = (await stats(service.origin)).cache.hits - cacheBefore.hits
}

runBenchmark('engines-uncached', async () => {
  const knobs = Knobs.fromArgv()
  const entry = serviceEntry(knobs.string('runtime', 'dist'))
  const threads = knobs.number('threads', 1)
  const settings: Settings = {
    durationS: knobs.number('duration', 4),
    warmupS: knobs.number('warmup', 1),
    rate: knobs.number('rate', 300),
    capacityConnections: knobs.number('capacity-connections', 8),
    sockets: knobs.number('sockets', 64),
    timeoutMs: knobs.number('timeout-ms', 2000)
  }
  const store = await ensureStore('large')
  const db = await benchDatabase(knobs, 'tv_bench_engines')
  const figures: Record<string, number> = {}
  try {
    const copied = await runToExit('copy', entry, ['copy', '--from', store.path, '--to', db.url, '--log-level', 'warn'], 900_000)
    log(`${store.spec.name} copied into PostgreSQL in ${(copied.wallMs / 1000).toFixed(1)} s: ${copied.stdout.at(-1) ?? ''}`)
    // Autovacuum would otherwise visit the freshly written 5M rows during the measurements.
    const vacuumed = performance.now()
    await db.vacuum()
    log(`VACUUM (ANALYZE) of the copied database in ${((performance.now() - vacuumed) / 1000).toFixed(1)} s`)
    const services: Record<Engine, Service> = {
      duckdb: await startService({ entry, duckdb: store.path, threads, name: 'duckdb' }),
      postgres: await startService({ entry, threads, name: 'postgres', storage: ['--storage', 'postgres', '--database-url', db.url] })
    }
    try {
      await sameAnswers(services, store)
      // One engine at a time; the other process only waits meanwhile.
      await measure('duckdb', services.duckdb, store, undefined, settings, figures)
      await measure('postgres', services.postgres, store, db, settings, figures)
    } finally {
      await Promise.all(ENGINES.map(async (e) => await services[e].child.stop()))
    }
  } finally {
    await db.stop()
  }
  for (const k of ['single.p50_ms', 'single.p99_ms', 'capacity.rps']) figures[`engines.ratio.${k}`] = figures[`engines.postgres.${k}`]! / figures[`engines.duckdb.${k}`]!
  log(`PostgreSQL ÷ DuckDB: p50 ${figures['engines.ratio.single.p50_ms']!.toFixed(2)}×, p99 ${figures['engines.ratio.single.p99_ms']!.toFixed(2)}×, capacity ${figures['engines.ratio.capacity.rps']!.toFixed(2)}×`)
  return {
    figures,
    details: {
      knobs: knobs.used,
      store: store.spec,
      note: 'both processes and the PostgreSQL server on the same machine as the load generator; PostgreSQL with fsync off, as the tests run it (reads do not depend on it)'
    }
  }
})
