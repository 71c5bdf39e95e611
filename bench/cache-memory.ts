// The latest-N body cache against its byte budget: a fresh store (`tv-api seed`, one symbol, 10
// days of 1m candles, so every limit up to 5,000 is a full page), then the service is asked for
// the latest page with 1,024 distinct limits, 3977 to 5000, each body ~350 KB: 350 MB if the cache
// kept them all. The service's RSS before and after is judged against the budget plus a fixed
// allowance (CACHE_ALLOWANCE_MB in lib/figures.ts, see bench/README.md). The same requests against a service with the
// cache off (LATEST_CACHE_MAX_BYTES=0) show what serving them costs without any cache; the
// difference between the two growths is what the cache itself costs.
// Knobs: --budget-mb 32  --settle 2 (s before each reading)  --connections 4  --threads 1
import { Knobs } from './lib/args.js'
import { serviceEntry } from './lib/build.js'
import { runBenchmark } from './lib/bench-main.js'
import { removeTmpDb, tmpDbPath } from './lib/datasets.js'
import { CACHE_ALLOWANCE_MB as ALLOWANCE_MB, CACHE_OVERHEAD_MB } from './lib/figures.js'
import { log } from './lib/log.js'
import { SERVER_TS } from './lib/paths.js'
import { runToExit } from './lib/processes.js'
import { residentMemory, sleep, startService, stats } from './lib/service.js'

const FIRST_LIMIT = 3977
const LAST_LIMIT = 5000

interface Reading {
  beforeMb: number
  afterMb: number
  peakMb: number
  cache: { entries: number, bytes: number, max_bytes: number, misses: number }
  bodyBytes: number
}

/** 1,024 latest-page requests with distinct limits over `connections` parallel loops. */
async function distinctLimits (origin: string, connections: number): Promise<number> {
  let next = FIRST_LIMIT
  let bytes = 0
  await Promise.all(Array.from({ length: connections }, async () => {
    while (next <= LAST_LIMIT) {
      const limit = next++
      const res = await fetch(`${origin}/api/v1/candles?symbol=BTCUSDT&interval=1m&limit=${limit}`)
      const body = await res.arrayBuffer()
      if (res.status !== 200) throw new Error(`limit=${limit}: HTTP ${res.status}`)
      bytes += body.byteLength
    }
  }))
  return bytes
}

async function measure (entry: string, path: string, budgetBytes: number, threads: number, settleS: number, connections: number): Promise<Reading> {
  const service = await startService({ entry, duckdb: path, threads, args: ['--live=0', '--latest-cache-max-bytes', String(budgetBytes)] })
  try {
    // One request first, so what any first read loads (DuckDB's catalog, code paths) is in "before".
    await fetch(`${service.origin}/api/v1/candles?symbol=BTCUSDT&interval=1m&limit=1`).then(async (r) => await r.arrayBuffer())
    await sleep(settleS * 1000)
    const before = await residentMemory(service.pid, service.origin)
    const bodyBytes = await distinctLimits(service.origin, connections)
    await sleep(settleS * 1000)
    const after = await residentMemory(service.pid, service.origin)
    const cache = (await stats(service.origin)).cache
    return { beforeMb: before.rssMb, afterMb: after.rssMb, peakMb: after.peakMb, cache, bodyBytes }
  } finally {
    await service.child.stop()
  }
}

runBenchmark('cache-memory', async () => {
  const knobs = Knobs.fromArgv()
  const entry = serviceEntry(knobs.string('runtime', 'dist'))
  const budgetMb = knobs.number('budget-mb', 32)
  const settleS = knobs.number('settle', 2)
  const connections = knobs.number('connections', 4)
  const threads = knobs.number('threads', 1)
  const path = tmpDbPath('cache-memory')
  try {
    log('seeding a fresh store: BTCUSDT, 10 days of 1m candles')
    await runToExit('seed', SERVER_TS, ['seed', '--duckdb', path, '--symbols', 'BTCUSDT', '--from', '2024-01-01', '--to', '2024-01-11', '--log-level', 'warn'])
    const cached = await measure(entry, path, budgetMb * 1048576, threads, settleS, connections)
    const growth = cached.afterMb - cached.beforeMb
    log(`cache ${budgetMb} MiB: RSS ${cached.beforeMb.toFixed(1)} -> ${cached.afterMb.toFixed(1)} MiB (+${growth.toFixed(1)}; budget ${budgetMb} + ${ALLOWANCE_MB} MiB allowance = ${budgetMb + ALLOWANCE_MB} MiB) after ${LAST_LIMIT - FIRST_LIMIT + 1} bodies of ${(cached.bodyBytes / 1048576).toFixed(0)} MiB in all; the cache holds ${cached.cache.entries} bodies, ${(cached.cache.bytes / 1048576).toFixed(1)} MiB`)
    const off = await measure(entry, path, 0, threads, settleS, connections)
    const offGrowth = off.afterMb - off.beforeMb
    log(`cache off: RSS ${off.beforeMb.toFixed(1)} -> ${off.afterMb.toFixed(1)} MiB (+${offGrowth.toFixed(1)}); the cache costs ${(growth - offGrowth).toFixed(1)} MiB (budget ${budgetMb} + ${CACHE_OVERHEAD_MB} MiB)`)
    if (cached.cache.bytes > budgetMb * 1048576) throw new Error(`the cache holds ${cached.cache.bytes} bytes, over its ${budgetMb} MiB budget`)
    return {
      figures: {
        'cache_memory.before_mb': cached.beforeMb,
        'cache_memory.after_mb': cached.afterMb,
        'cache_memory.growth_mb': growth,
        'cache_memory.over_budget_mb': growth - budgetMb,
        'cache_memory.peak_mb': cached.peakMb,
        'cache_memory.cache_mb': cached.cache.bytes / 1048576,
        'cache_memory.cache_entries': cached.cache.entries,
        'cache_memory.bodies_mb': cached.bodyBytes / 1048576,
        'cache_memory.off_growth_mb': offGrowth,
        'cache_memory.cache_cost_mb': growth - offGrowth
      },
      details: { knobs: knobs.used, budget_mb: budgetMb, allowance_mb: ALLOWANCE_MB, overhead_mb: CACHE_OVERHEAD_MB, requests: LAST_LIMIT - FIRST_LIMIT + 1, limits: `${FIRST_LIMIT}-${LAST_LIMIT}` }
    }
  } finally {
    removeTmpDb(path)
  }
})
