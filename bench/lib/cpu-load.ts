// A closed-loop load on one or more servers at once, with the CPU each used: one autocannon
// instance per server in this process, the connections split evenly, so the load is spread
// without a balancer in between. When the load generator sits near 100% of a core, requests/s
// say more about it than about the servers, and CPU per request is the fairer comparison.
import { closedLoop, type LoadResult } from './http-load.js'
import { log } from './log.js'
import { cpuTimeMs } from './service.js'
import { summarize, type Summary } from './stats.js'

export interface LoadTarget {
  origin: string
  pid: number
}

export interface CpuLoadOptions {
  /** Connections in all; each target gets its share. */
  connections: number
  durationS: number
  warmupS: number
  path: string
}

export interface CpuLoadResult {
  /** 2xx responses per second, all targets together. */
  rps: number
  ok: number
  failed: number
  latency: Summary
  /** autocannon's own p99 (whole ms), the worst of the instances. */
  autocannonP99Ms: number
  /** User + system CPU of the servers together, % of one core. */
  serverCpuPct: number
  cpuUsPerReq: number
  loadgenCpuPct: number
  perTarget: LoadResult[]
}

export async function loadWithCpu (name: string, targets: readonly LoadTarget[], opts: CpuLoadOptions): Promise<CpuLoadResult> {
  const share = (i: number): number => Math.floor(opts.connections / targets.length) + (i < opts.connections % targets.length ? 1 : 0)
  const run = (durationS: number): Promise<LoadResult[]> =>
    Promise.all(targets.map((t, i) => closedLoop({ origin: t.origin, connections: share(i), durationS, path: opts.path })))
  await run(opts.warmupS)
  const serverCpu = (): number => targets.reduce((sum, t) => sum + cpuTimeMs(t.pid), 0)
  const cpu0 = serverCpu()
  const own0 = process.cpuUsage()
  const t0 = performance.now()
  const perTarget = await run(opts.durationS)
  const wallMs = performance.now() - t0
  const serverCpuMs = serverCpu() - cpu0
  const own = process.cpuUsage(own0)
  const ok = perTarget.reduce((sum, r) => sum + r.ok, 0)
  const out: CpuLoadResult = {
    rps: perTarget.reduce((sum, r) => sum + r.rps, 0),
    ok,
    failed: perTarget.reduce((sum, r) => sum + r.errors + r.non2xx + r.timeouts, 0),
    latency: summarize(perTarget.flatMap((r) => r.samples ?? [])),
    autocannonP99Ms: Math.max(...perTarget.map((r) => r.autocannonP99Ms ?? Number.NaN)),
    serverCpuPct: serverCpuMs / wallMs * 100,
    cpuUsPerReq: serverCpuMs * 1000 / Math.max(1, ok),
    loadgenCpuPct: (own.user + own.system) / 1000 / wallMs * 100,
    perTarget
  }
  log(`${name}: ${Math.round(out.rps)} req/s${targets.length > 1 ? ` (${perTarget.map((r) => Math.round(r.rps)).join(' + ')})` : ''}, p50 ${out.latency.p50.toFixed(2)} ms, p99 ${out.latency.p99.toFixed(2)} ms (autocannon p99 ${out.autocannonP99Ms} ms), ${out.failed} failed; server CPU ${out.serverCpuPct.toFixed(0)}% (${out.cpuUsPerReq.toFixed(0)} µs/request), autocannon CPU ${out.loadgenCpuPct.toFixed(0)}%`)
  return out
}
