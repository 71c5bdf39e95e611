// HTTP load generators, run in the benchmark process (the service runs in another):
//  - closedLoop: autocannon with N connections, each sending its next request when the previous
//    answer arrived (throughput, or with 1 connection the unloaded latency of one request).
//  - openLoop: a fixed request rate regardless of answers, evenly spaced, over a keep-alive pool.
//    autocannon's overallRate sends each connection's per-second budget in a burst at the start of
//    every second, which measures a burst of N concurrent requests rather than a steady rate.
// Latencies are kept per request with sub-millisecond precision: autocannon's own histogram
// records whole milliseconds, so its p99 is reported only alongside.
import { Agent, request } from 'node:http'
import autocannon from 'autocannon'
import { summarize, type Summary } from './stats.js'

export interface LoadResult {
  /** Successful (2xx) responses per second over the measured duration. */
  rps: number
  ok: number
  non2xx: number
  errors: number
  timeouts: number
  durationS: number
  /** Time to the last byte of each 2xx response, ms (open loop: timeouts count at the timeout). */
  latency: Summary
  /** autocannon's own p99 (whole ms), for comparison. */
  autocannonP99Ms?: number
  bytesPerResponse?: number
  /** Closed loop: every 2xx latency, so the loads of several generators can be summarised together. */
  samples?: number[]
  /** Open loop: the rate asked for, and how late (ms) requests left after their scheduled time. */
  targetRps?: number
  lateness?: Summary
}

export interface ClosedLoopOptions {
  origin: string
  connections: number
  durationS: number
  /** A fixed path, or a function giving a new path for every request. */
  path: string | (() => string)
}

export async function closedLoop (opts: ClosedLoopOptions): Promise<LoadResult> {
  const latencies: number[] = []
  let bytes = 0
  const pathFn = opts.path
  const inst = autocannon({
    url: opts.origin,
    connections: opts.connections,
    duration: opts.durationS,
    timeout: 30,
    requests: typeof pathFn === 'string'
      ? [{ method: 'GET', path: pathFn }]
      : [{ method: 'GET', setupRequest: (req) => ({ ...req, path: pathFn() }) }]
  })
  // 'response' carries the per-request time autocannon measured with process.hrtime (fractional ms).
  inst.on('response', (_client: unknown, statusCode: number, resBytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) {
      latencies.push(responseTime)
      bytes += resBytes
    }
  })
  const r = await inst
  return {
    rps: latencies.length / r.duration,
    ok: latencies.length,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    durationS: r.duration,
    latency: summarize(latencies),
    autocannonP99Ms: r.latency.p99,
    bytesPerResponse: latencies.length === 0 ? 0 : bytes / latencies.length,
    samples: latencies
  }
}

export interface OpenLoopOptions {
  origin: string
  rate: number
  durationS: number
  path: () => string
  /** Most concurrent connections; requests beyond wait for a free one (and that wait counts). */
  maxSockets: number
  /**
   * A request unanswered after this long is abandoned and counted as a timeout with this latency
   * (a lower bound), so an overloaded server ends the run instead of draining a backlog for minutes.
   */
  timeoutMs: number
}

export async function openLoop (opts: OpenLoopOptions): Promise<LoadResult> {
  const url = new URL(opts.origin)
  const agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets, maxFreeSockets: opts.maxSockets })
  const total = Math.max(1, Math.round(opts.rate * opts.durationS))
  const interval = 1000 / opts.rate
  const latencies: number[] = []
  const lateness: number[] = []
  let non2xx = 0
  let errors = 0
  let timeouts = 0
  let done = 0
  let issued = 0
  let finish!: () => void
  const finished = new Promise<void>((resolve) => { finish = resolve })
  const settle = (): void => {
    if (++done === total) finish()
  }
  const fire = (scheduledAt: number): void => {
    const sentAt = performance.now()
    lateness.push(sentAt - scheduledAt)
    let over = false
    const finishOnce = (fn: () => void): void => {
      if (over) return
      over = true
      clearTimeout(timer)
      fn()
      settle()
    }
    const req = request({ host: url.hostname, port: url.port, path: opts.path(), agent, method: 'GET' }, (res) => {
      res.on('data', () => {})
      res.on('end', () => finishOnce(() => {
        const status = res.statusCode ?? 0
        if (status >= 200 && status < 300) latencies.push(performance.now() - sentAt)
        else non2xx++
      }))
      res.on('error', () => finishOnce(() => { errors++ }))
    })
    const timer = setTimeout(() => finishOnce(() => {
      timeouts++
      latencies.push(opts.timeoutMs)
      req.destroy()
    }), opts.timeoutMs)
    req.on('error', () => finishOnce(() => { errors++ }))
    req.end()
  }
  const start = performance.now()
  // A 1 ms timer sends whatever is due: requests leave at most ~1 ms late without a busy loop
  // stealing a core from the server.
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1)
      while (issued < due) fire(start + issued++ * interval)
      if (issued < total) setTimeout(tick, 1)
      else resolve()
    }
    tick()
  })
  const sendEnd = performance.now()
  await finished
  agent.destroy()
  const durationS = (sendEnd - start) / 1000
  return {
    rps: (latencies.length - timeouts) / Math.max(durationS, 1e-9),
    ok: latencies.length - timeouts,
    non2xx,
    errors,
    timeouts,
    durationS,
    latency: summarize(latencies),
    targetRps: opts.rate,
    lateness: summarize(lateness)
  }
}

/**
 * Waits until the server answers /readyz within `fastMs` twice in a row: the backlog an overload
 * left behind has drained and the next measurement starts clean.
 */
export async function waitIdle (origin: string, fastMs = 50, timeoutMs = 60_000): Promise<void> {
  const end = performance.now() + timeoutMs
  let fast = 0
  while (fast < 2 && performance.now() < end) {
    const t = performance.now()
    await fetchRaw(origin, '/readyz').catch(() => undefined)
    fast = performance.now() - t < fastMs ? fast + 1 : 0
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

export interface FetchedBody {
  status: number
  body: Buffer
  headers: Record<string, string>
}

/** One GET with the raw body and headers (for checks and for the bare server's copy). */
export async function fetchRaw (origin: string, path: string): Promise<FetchedBody> {
  const url = new URL(path, origin)
  return await new Promise((resolve, reject) => {
    request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'GET' }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers })
      })
      res.on('error', reject)
    }).on('error', reject).end()
  })
}
