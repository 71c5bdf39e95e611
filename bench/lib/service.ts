// The service under test, as its own process: `node --import tsx src/server.ts ...` listening on
// 127.0.0.1 with a port picked by the OS (read back from its "listening at" log line).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { log } from './log.js'
import { startNode, type ManagedChild } from './processes.js'

export interface Service {
  child: ManagedChild
  /** http://127.0.0.1:PORT */
  origin: string
  port: number
  pid: number
}

export interface ServiceOptions {
  /** src/server.ts (run through tsx) or the compiled server.js: see build.ts. */
  entry: string
  /** A DuckDB file; omit for STORAGE=memory. */
  duckdb?: string
  /** Store, bus and role settings instead of `duckdb`, e.g. ['--role', 'api', '--storage', 'postgres', ...]. */
  storage?: readonly string[]
  threads: number
  /** More settings, e.g. ['--live=1', '--live-symbols', 'BTCUSDT']. */
  args?: readonly string[]
  name?: string
}

/** Pino JSON lines at warn (40) or above are worth showing; info lines are not. */
function isWarning (line: string): boolean {
  const m = /"level":(\d+)/.exec(line)
  return m === null ? line.trim() !== '' : Number(m[1]) >= 40
}

export async function startService (opts: ServiceOptions): Promise<Service> {
  const args = [
    ...(opts.storage ?? (opts.duckdb === undefined ? ['--storage', 'memory'] : ['--duckdb', opts.duckdb])),
    '--host', '127.0.0.1',
    '--port', '0',
    // Info, because the "listening at" line is logged at info; other info lines are dropped.
    '--log-level', 'info',
    '--threads', String(opts.threads),
    ...(opts.args ?? ['--live=0'])
  ]
  const child = startNode(opts.name ?? 'service', opts.entry, args, { forward: (line) => isWarning(line) })
  const m = await child.waitForLine(/listening at (http:\/\/[\d.]+:(\d+))/, 120_000)
  const service = { child, origin: m[1]!, port: Number(m[2]), pid: child.pid }
  log(`${opts.name ?? 'service'} pid ${service.pid} at ${service.origin} (${opts.storage?.join(' ') ?? opts.duckdb ?? 'memory store'})`)
  return service
}

export async function getJson<T = Record<string, unknown>> (url: string): Promise<T> {
  const res = await fetch(url)
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`)
  return await res.json() as T
}

export interface StatsSnapshot {
  cache: { entries: number, bytes: number, max_bytes: number, hits: number, misses: number }
  ws: Record<string, number>
  ws_state: number
  rest_catchup_candles_total: number
  [key: string]: unknown
}

export async function stats (origin: string): Promise<StatsSnapshot> {
  return await getJson<StatsSnapshot>(`${origin}/stats`)
}

/**
 * Resident set size of a process in MiB: /proc/<pid>/status on Linux (VmRSS and the peak VmHWM),
 * else process_resident_memory_bytes from the service's /metrics.
 */
export async function residentMemory (pid: number, origin?: string): Promise<{ rssMb: number, peakMb: number, source: string }> {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN)
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024, source: '/proc/<pid>/status VmRSS' }
  } catch {
    if (origin === undefined) throw new Error(`cannot read the memory of pid ${pid}`)
    const text = await (await fetch(`${origin}/metrics`)).text()
    const bytes = Number(/^process_resident_memory_bytes\s+([\d.e+]+)/m.exec(text)?.[1] ?? Number.NaN)
    return { rssMb: bytes / 1048576, peakMb: Number.NaN, source: '/metrics process_resident_memory_bytes' }
  }
}

let clockTicks: number | undefined

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat; NaN where
 * /proc is missing. Its resolution is one clock tick (usually 10 ms): fine over seconds of load.
 */
export function cpuTimeMs (pid: number): number {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / clockTicks * 1000
  } catch {
    return Number.NaN
  }
}

export async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `check` until it returns a value other than undefined. */
export async function until<T> (what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await check().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}
