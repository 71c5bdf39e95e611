// Many WebSocket clients spread over worker processes (ws-client-worker.ts), each subscribed to
// one topic; the pool records receipts and hands back parsed samples.
import { join } from 'node:path'
import { BENCH_DIR } from './paths.js'
import { startNode, type ManagedChild } from './processes.js'

export interface Topic { symbol: string, interval: string }

const WORKER = join(BENCH_DIR, 'lib', 'ws-client-worker.ts')

export interface Samples {
  /** Receipt time (mono or wall ms, per the recording mode). */
  t: number[]
  client: number[]
  ts: number[]
  close: number[]
  volume: number[]
  final: number[]
  /** Messages of any type recorded. */
  recorded: number
}

export interface PoolStatus {
  clients: number
  open: number
  unexpectedCloses: number
  closeCodes: Record<string, number>
}

export class WsPool {
  private constructor (readonly workers: ManagedChild[]) {}

  static async start (procs: number): Promise<WsPool> {
    const workers = Array.from({ length: Math.max(1, procs) }, (_, i) => startNode(`ws-clients-${i}`, WORKER, [], { ipc: true }))
    await Promise.all(workers.map((w) => w.waitForMessage((m): m is { ev: 'ready' } => (m as { ev?: string }).ev === 'ready', 60_000)))
    return new WsPool(workers)
  }

  /**
   * Opens `total` clients numbered from `firstIndex` (more clients on another server go on from
   * where the last call stopped); client i subscribes to topics[i % topics.length] and lives on
   * worker i % procs.
   */
  async connect (url: string, total: number, topics: Topic[], concurrencyPerWorker = 100, firstIndex = 0): Promise<{ connected: number, failed: number, errors: string[], ms: number }> {
    const started = performance.now()
    const replies = await Promise.all(this.workers.map((w, k) => {
      const indexes: number[] = []
      for (let i = firstIndex + k; i < firstIndex + total; i += this.workers.length) indexes.push(i)
      return w.request<{ connected: number, failed: number, errors: string[] }>('connect', { url, indexes, topics, concurrency: concurrencyPerWorker }, 300_000)
    }))
    return {
      connected: replies.reduce((a, r) => a + r.connected, 0),
      failed: replies.reduce((a, r) => a + r.failed, 0),
      errors: replies.flatMap((r) => r.errors),
      ms: performance.now() - started
    }
  }

  /** mono: receipt on CLOCK_MONOTONIC; wall: epoch ms; count: only counts and first/last receipt. */
  async record (mode: 'mono' | 'wall' | 'count' | 'off'): Promise<void> {
    await Promise.all(this.workers.map((w) => w.request('record', { mode })))
  }

  async collect (): Promise<Samples> {
    const parts = await Promise.all(this.workers.map((w) => w.request<Samples>('collect', {}, 120_000)))
    const out: Samples = { t: [], client: [], ts: [], close: [], volume: [], final: [], recorded: 0 }
    for (const p of parts) {
      for (const k of ['t', 'client', 'ts', 'close', 'volume', 'final'] as const) for (const v of p[k]) out[k].push(v)
      out.recorded += p.recorded
    }
    return out
  }

  async count (): Promise<{ count: number, first: number, last: number }> {
    const parts = await Promise.all(this.workers.map((w) => w.request<{ count: number, first: number | null, last: number | null }>('count')))
    // Infinity does not survive JSON (it arrives as null).
    const firsts = parts.map((p) => p.first).filter((v): v is number => typeof v === 'number')
    const lasts = parts.map((p) => p.last).filter((v): v is number => typeof v === 'number')
    return {
      count: parts.reduce((a, p) => a + p.count, 0),
      first: firsts.length === 0 ? Number.NaN : Math.min(...firsts),
      last: lasts.length === 0 ? Number.NaN : Math.max(...lasts)
    }
  }

  async status (): Promise<PoolStatus> {
    const parts = await Promise.all(this.workers.map((w) => w.request<PoolStatus>('status')))
    const closeCodes: Record<string, number> = {}
    for (const p of parts) for (const [k, v] of Object.entries(p.closeCodes)) closeCodes[k] = (closeCodes[k] ?? 0) + v
    return {
      clients: parts.reduce((a, p) => a + p.clients, 0),
      open: parts.reduce((a, p) => a + p.open, 0),
      unexpectedCloses: parts.reduce((a, p) => a + p.unexpectedCloses, 0),
      closeCodes
    }
  }

  /** Closes every client (client-initiated close); returns the status just before. */
  async closeAll (): Promise<PoolStatus> {
    const parts = await Promise.all(this.workers.map((w) => w.request<PoolStatus>('closeAll', {}, 120_000)))
    return {
      clients: parts.reduce((a, p) => a + p.clients, 0),
      open: parts.reduce((a, p) => a + p.open, 0),
      unexpectedCloses: parts.reduce((a, p) => a + p.unexpectedCloses, 0),
      closeCodes: {}
    }
  }

  async stop (): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop(5000)))
  }
}
