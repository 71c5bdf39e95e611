// The seam between ingestion and WebSocket fan-out (design §8): the ingestor publishes here and
// never calls the hub. In-process today; a Redis or NATS implementation can carry the same
// messages from one ingest leader to several API replicas.
import type { Candle } from '../domain/candle.js'
import type { Interval } from '../domain/intervals.js'

export type LiveMessage =
  /** A 1m (base) candle: `final` once stored, otherwise the forming bar. */
  | { type: 'candle', candle: Candle, final: boolean }
  /** A catch-up finished; the candles it stored were published before this. */
  | { type: 'resync_done', interval: Interval, symbols: string[] }

export type LiveListener = (msg: LiveMessage) => void

export interface LiveBus {
  publish (msg: LiveMessage): void
  subscribe (listener: LiveListener): () => void
}

/** Synchronous in-process delivery; a failing listener cannot stop the others. */
export class InProcessLiveBus implements LiveBus {
  private readonly listeners = new Set<LiveListener>()
  errors = 0

  publish (msg: LiveMessage): void {
    for (const l of this.listeners) {
      try {
        l(msg)
      } catch {
        this.errors++
      }
    }
  }

  subscribe (listener: LiveListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
