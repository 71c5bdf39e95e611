// The seam between ingestion and WebSocket fan-out: the ingestor publishes here and never calls
// the hub. In process by default (InProcessLiveBus); over Redis pub/sub (RedisLiveBus) it carries
// the same messages from one ingest leader to every API replica, together with notices of the
// store writes each replica must know about (its cached bodies and its series index).
import type { Candle } from '../domain/candle.js'
import type { Interval } from '../domain/intervals.js'
import type { SeriesRange } from '../store/candle-store.js'

export type LiveMessage =
  /** A 1m (base) candle: `final` once stored, otherwise the forming bar. */
  | { type: 'candle', candle: Candle, final: boolean }
  /** A catch-up finished; the candles it stored were published before this. */
  | { type: 'resync_done', interval: Interval, symbols: string[] }

export type LiveListener = (msg: LiveMessage) => void

/**
 * A committed write to the shared store, told to the other processes: for every symbol in
 * `symbols`, `ranges` lists each natively stored interval with the open times of its first and
 * last bar after the write; an interval (or a whole symbol) not listed has no rows left.
 */
export interface WriteNotice {
  symbols: string[]
  ranges: SeriesRange[]
}

export type WriteNoticeListener = (notice: WriteNotice) => void

export interface BusStatus {
  kind: 'local' | 'redis'
  /** False while messages cannot flow (the Redis connection is down or not yet up). */
  connected: boolean
  /** Messages handed to publish (live messages and write notices). */
  published_total: number
  /** Messages received from other processes or this one over the bus. */
  received_total: number
  /** Publishes that failed (the connection was down); each one makes every replica recover. */
  publish_failed_total: number
  /** Received messages that were not valid bus messages, dropped. */
  invalid_total: number
  /** Times the connection came back after being down. */
  reconnects_total: number
  /** Recoveries run (after a reconnect, or a publisher's notice that it lost messages). */
  recoveries_total: number
  /** Final candles re-published locally from the store by recoveries. */
  recovered_finals_total: number
  /** Listeners that threw. */
  listener_errors_total: number
}

export interface LiveBus {
  /** Sends a message to every subscriber of every process on the bus, this one included. */
  publish (msg: LiveMessage): void
  subscribe (listener: LiveListener): () => void
  /** Tells the other processes on the bus about a committed write (nothing to do in process). */
  publishWrite (notice: WriteNotice): void
  /** Write notices from other processes on the bus (never this process's own). */
  subscribeWrites (listener: WriteNoticeListener): () => void
  /** True while messages flow; readiness answers 503 otherwise. */
  ready (): boolean
  status (): BusStatus
  close (): Promise<void>
}

/** Listeners of one kind; a failing listener cannot stop the others. */
export class ListenerSet<T> {
  private readonly listeners = new Set<(value: T) => void>()
  errors = 0

  add (listener: (value: T) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get size (): number {
    return this.listeners.size
  }

  emit (value: T): void {
    for (const l of this.listeners) {
      try {
        l(value)
      } catch {
        this.errors++
      }
    }
  }

  clear (): void {
    this.listeners.clear()
  }
}

/** Synchronous in-process delivery of the very objects published; one process, so no notices. */
export class InProcessLiveBus implements LiveBus {
  private readonly listeners = new ListenerSet<LiveMessage>()
  private published = 0

  get errors (): number {
    return this.listeners.errors
  }

  publish (msg: LiveMessage): void {
    this.published++
    this.listeners.emit(msg)
  }

  subscribe (listener: LiveListener): () => void {
    return this.listeners.add(listener)
  }

  publishWrite (): void {}

  subscribeWrites (): () => void {
    return () => {}
  }

  ready (): boolean {
    return true
  }

  status (): BusStatus {
    return {
      kind: 'local',
      connected: true,
      published_total: this.published,
      received_total: this.published,
      publish_failed_total: 0,
      invalid_total: 0,
      reconnects_total: 0,
      recoveries_total: 0,
      recovered_finals_total: 0,
      listener_errors_total: this.listeners.errors
    }
  }

  async close (): Promise<void> {
    this.listeners.clear()
  }
}
