// Per-route request counts and latency percentiles over a bounded window of recent samples, so
// /stats costs the same after a month of uptime as after a minute.

/** Ring buffer of the most recent samples. */
export class LatencyWindow {
  private readonly samples: Float64Array
  private next = 0
  private filled = 0
  requests = 0

  constructor (capacity = 2048) {
    this.samples = new Float64Array(capacity)
  }

  record (ms: number): void {
    this.requests++
    this.samples[this.next] = ms
    this.next = (this.next + 1) % this.samples.length
    if (this.filled < this.samples.length) this.filled++
  }

  /** Percentiles (0..1) of the window, by linear interpolation between closest ranks. */
  percentiles (qs: readonly number[]): number[] {
    if (this.filled === 0) return qs.map(() => 0)
    const sorted = this.samples.slice(0, this.filled).sort()
    return qs.map((q) => {
      const pos = q * (sorted.length - 1)
      const lo = Math.floor(pos)
      const hi = Math.min(lo + 1, sorted.length - 1)
      return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
    })
  }
}

export interface RouteStats {
  requests: number
  p95_ms: number
  p99_ms: number
}

/** Latency windows keyed by "METHOD /route/pattern". */
export class RouteLatency {
  private readonly routes = new Map<string, LatencyWindow>()

  constructor (private readonly capacity = 2048) {}

  record (route: string, ms: number): void {
    let w = this.routes.get(route)
    if (w === undefined) {
      w = new LatencyWindow(this.capacity)
      this.routes.set(route, w)
    }
    w.record(ms)
  }

  snapshot (): Record<string, RouteStats> {
    const out: Record<string, RouteStats> = {}
    for (const [route, w] of [...this.routes].sort(([a], [b]) => a.localeCompare(b))) {
      const [p95, p99] = w.percentiles([0.95, 0.99])
      out[route] = { requests: w.requests, p95_ms: round3(p95!), p99_ms: round3(p99!) }
    }
    return out
  }
}

function round3 (x: number): number {
  return Math.round(x * 1000) / 1000
}
