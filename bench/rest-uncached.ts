// Figure 2: uncached reads of random 600-row windows from the 5-symbol, 2-year store (5.26M rows)
// at a steady 500 requests/s (open loop), then how one request's latency grows with the rows
// returned (limit 100/600/1000/5000) and whether it grows with table size (the same BTCUSDT
// requests against the 1-symbol store, 1.05M rows, whose BTCUSDT rows are identical).
// Knobs: --rate 500  --duration 6 (s, the paced run)  --sockets 64 (most open connections)
//        --timeout-ms 2000 (a paced request unanswered this long counts as a timeout at 2000 ms)
//        --capacity-connections 8 (closed loop after the sweep: the rate the service can sustain)
//        --sweep-duration 3 (s per limit, per store, per paced rate and for the capacity run)
//        --limits 100,600,1000,5000  --rates 100,200,300,400 (paced runs below the target rate)  --warmup 1  --threads 1 (the service's default)
// The capacity run also records the CPU time of the service and of the load generator per
// request: with every core busy, cores ÷ (CPU per request) is the most requests/s the machine can
// answer, whatever the code does while waiting.
import { availableParallelism } from 'node:os'
import { Knobs } from './lib/args.js'
import { serviceEntry } from './lib/build.js'
import { runBenchmark } from './lib/bench-main.js'
import { ensureStore, type StoreInfo } from './lib/datasets.js'
import { closedLoop, fetchRaw, openLoop, waitIdle, type LoadResult } from './lib/http-load.js'
import { log } from './lib/log.js'
import { cpuTimeMs, startService, stats, type Service } from './lib/service.js'
import { latencyFigures } from './lib/stats.js'
import { minuteWindows } from './lib/windows.js'

async function checkRows (origin: string, path: string, expected: number): Promise<void> {
  const r = await fetchRaw(origin, path)
  const n = r.status === 200 ? (JSON.parse(r.body.toString()) as { data: unknown[] }).data.length : -1
  if (n !== expected) throw new Error(`${path} answered ${r.status} with ${n} rows, expected ${expected}`)
}

function show (name: string, r: LoadResult): void {
  log(`${name}: ${r.rps.toFixed(0)} req/s, p50 ${r.latency.p50.toFixed(2)} ms, p99 ${r.latency.p99.toFixed(2)} ms, max ${r.latency.max.toFixed(2)} ms, ${r.non2xx + r.errors} failed`)
}

runBenchmark('rest-uncached', async () => {
  const knobs = Knobs.fromArgv()
  const entry = serviceEntry(knobs.string('runtime', 'dist'))
  const rate = knobs.number('rate', 500)
  const durationS = knobs.number('duration', 6)
  const sockets = knobs.number('sockets', 64)
  const timeoutMs = knobs.number('timeout-ms', 2000)
  const capacityConnections = knobs.number('capacity-connections', 8)
  const sweepS = knobs.number('sweep-duration', 3)
  const limits = knobs.numbers('limits', [100, 600, 1000, 5000])
  const rates = knobs.numbers('rates', [100, 200, 300, 400])
  const warmupS = knobs.number('warmup', 1)
  const threads = knobs.number('threads', 1)
  const figures: Record<string, number> = {}

  const [large, small] = await Promise.all([ensureStore('large'), ensureStore('small')])

  // One request at a time: the latency of a request on its own, without queueing behind others.
  const single = async (service: Service, store: StoreInfo, limit: number): Promise<LoadResult> => {
    const r = await closedLoop({ origin: service.origin, connections: 1, durationS: sweepS, path: minuteWindows(store, ['BTCUSDT'], limit, 7) })
    show(`${store.spec.name}, limit ${limit}, 1 connection`, r)
    return r
  }

  let service = await startService({ entry, duckdb: large.path, threads })
  const cacheBefore = (await stats(service.origin)).cache
  for (const limit of new Set([600, ...limits])) await checkRows(service.origin, minuteWindows(large, large.spec.symbols, limit)(), limit)

  // The steady load: evenly spaced requests over all five symbols.
  await openLoop({ origin: service.origin, rate, durationS: warmupS, path: minuteWindows(large, large.spec.symbols, 600, 99), maxSockets: sockets, timeoutMs })
  await waitIdle(service.origin)
  const paced = await openLoop({ origin: service.origin, rate, durationS, path: minuteWindows(large, large.spec.symbols, 600, 1), maxSockets: sockets, timeoutMs })
  show(`${large.spec.name}, 600 rows at ${rate} req/s`, paced)
  if (paced.timeouts > 0) log(`${paced.timeouts} requests unanswered after ${timeoutMs} ms: the service cannot sustain ${rate} req/s here (they count as ${timeoutMs} ms)`)
  await waitIdle(service.origin)
  // Where latency stays low: the same paced load at lower rates.
  for (const r of rates) {
    const lower = await openLoop({ origin: service.origin, rate: r, durationS: sweepS, path: minuteWindows(large, large.spec.symbols, 600, 11 + r), maxSockets: sockets, timeoutMs })
    show(`${large.spec.name}, 600 rows at ${r} req/s`, lower)
    latencyFigures(figures, `uncached.rate_${r}`, lower.latency)
    figures[`uncached.rate_${r}.rps`] = lower.rps
    await waitIdle(service.origin)
  }
  latencyFigures(figures, 'uncached', paced.latency)
  figures['uncached.rps'] = paced.rps
  figures['uncached.target_rps'] = rate
  figures['uncached.failed'] = paced.non2xx + paced.errors
  figures['uncached.timeouts'] = paced.timeouts
  figures['uncached.send_lateness_p99_ms'] = paced.lateness?.p99 ?? Number.NaN

  await closedLoop({ origin: service.origin, connections: 1, durationS: warmupS, path: minuteWindows(large, ['BTCUSDT'], 600, 98) })
  for (const limit of limits) {
    const r = await single(service, large, limit)
    latencyFigures(figures, `uncached.limit_${limit}`, r.latency)
    figures[`uncached.limit_${limit}.rps`] = r.rps
    if (limit === 600) latencyFigures(figures, 'uncached.store_5m', r.latency)
  }
  if (!limits.includes(600)) latencyFigures(figures, 'uncached.store_5m', (await single(service, large, 600)).latency)
  // The most the service answers of these reads with requests always waiting: the rate it could sustain.
  const serviceCpuBefore = cpuTimeMs(service.pid)
  const generatorCpuBefore = process.cpuUsage()
  const capacity = await closedLoop({ origin: service.origin, connections: capacityConnections, durationS: sweepS, path: minuteWindows(large, large.spec.symbols, 600, 5) })
  const answered = capacity.rps * capacity.durationS
  const serviceCpu = (cpuTimeMs(service.pid) - serviceCpuBefore) / answered
  const generatorUsage = process.cpuUsage(generatorCpuBefore)
  const generatorCpu = (generatorUsage.user + generatorUsage.system) / 1000 / answered
  const cores = availableParallelism()
  show(`${large.spec.name}, 600 rows, ${capacityConnections} connections (capacity)`, capacity)
  log(`capacity run: the service used ${serviceCpu.toFixed(2)} ms of CPU per request and the load generator ${generatorCpu.toFixed(2)} ms: ${cores} cores answer at most ${Math.round(cores * 1000 / (serviceCpu + generatorCpu))} req/s (${Math.round(cores * 1000 / serviceCpu)} req/s with a free load generator)`)
  figures['uncached.capacity_rps'] = capacity.rps
  figures['uncached.capacity.service_cpu_ms_per_req'] = serviceCpu
  figures['uncached.capacity.generator_cpu_ms_per_req'] = generatorCpu
  figures['uncached.cpu_bound_rps'] = cores * 1000 / (serviceCpu + generatorCpu)
  figures['uncached.cpu_bound_rps_service_only'] = cores * 1000 / serviceCpu
  latencyFigures(figures, 'uncached.capacity', capacity.latency)
  // Requests with from/to must all miss the latest-N cache; a hit would flatter the figures.
  figures['uncached.cache_hits'] = (await stats(service.origin)).cache.hits - cacheBefore.hits
  await service.child.stop()

  service = await startService({ entry, duckdb: small.path, threads })
  await checkRows(service.origin, minuteWindows(small, ['BTCUSDT'], 600)(), 600)
  await closedLoop({ origin: service.origin, connections: 1, durationS: warmupS, path: minuteWindows(small, ['BTCUSDT'], 600, 98) })
  latencyFigures(figures, 'uncached.store_1m', (await single(service, small, 600)).latency)
  await service.child.stop()
  figures['uncached.size_ratio_p50'] = figures['uncached.store_5m.p50_ms']! / figures['uncached.store_1m.p50_ms']!
  figures['uncached.size_ratio_p99'] = figures['uncached.store_5m.p99_ms']! / figures['uncached.store_1m.p99_ms']!

  return {
    figures,
    details: {
      knobs: knobs.used,
      stores: { large: large.spec, small: small.spec },
      paced: `open loop: ${rate} requests/s evenly spaced over up to ${sockets} keep-alive connections; latency from the moment a request is written to the last byte of its answer`,
      sweep: 'closed loop, 1 connection: each request sent when the previous answer arrived (autocannon, per-request hrtime)'
    }
  }
})
