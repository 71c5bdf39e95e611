// The part of autocannon 9's programmatic API the benchmarks use (the package ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  namespace autocannon {
    interface Request {
      method?: string
      path?: string
      headers?: Record<string, string>
      body?: string
      setupRequest?: (req: Request, context: Record<string, unknown>) => Request
    }

    interface Options {
      url: string
      connections?: number
      duration?: number
      amount?: number
      pipelining?: number
      timeout?: number
      overallRate?: number
      connectionRate?: number
      headers?: Record<string, string>
      requests?: Request[]
      workers?: number
      excludeErrorStats?: boolean
    }

    interface Histogram {
      average: number
      mean: number
      stddev: number
      min: number
      max: number
      total: number
      p50: number
      p90: number
      p99: number
      [key: string]: number
    }

    interface Result {
      duration: number
      latency: Histogram
      requests: Histogram & { sent: number }
      throughput: Histogram
      errors: number
      timeouts: number
      non2xx: number
      '2xx': number
      resets: number
      mismatches: number
    }

    interface Instance extends EventEmitter, PromiseLike<Result> {
      stop (): void
    }
  }

  function autocannon (opts: autocannon.Options): autocannon.Instance
  export = autocannon
}
