// Coalesces candle writes made in the same event-loop turn into one store transaction, so closed
// candles of many symbols arriving together cost one upsert, not one each.
import type { Candle } from '../domain/candle.js'
import type { CandleStore } from '../store/candle-store.js'

export class BatchWriter {
  private queue: Candle[] = []
  private waiters: Array<{ resolve: () => void, reject: (err: unknown) => void }> = []
  private scheduled = false
  private inFlight: Promise<void> = Promise.resolve()

  constructor (private readonly store: CandleStore) {}

  /** Resolves once the candles are committed. */
  write (candles: readonly Candle[]): Promise<void> {
    if (candles.length === 0) return Promise.resolve()
    this.queue.push(...candles)
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }))
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.flush())
    }
    return done
  }

  private flush (): void {
    this.scheduled = false
    const batch = this.queue
    const waiters = this.waiters
    this.queue = []
    this.waiters = []
    this.inFlight = this.inFlight.then(async () => {
      try {
        await this.store.upsertBatch(batch)
        for (const w of waiters) w.resolve()
      } catch (err) {
        for (const w of waiters) w.reject(err)
      }
    })
  }

  /** Resolves when everything written so far is committed (or failed). */
  async drain (): Promise<void> {
    while (this.scheduled || this.queue.length > 0) {
      await new Promise((resolve) => setImmediate(resolve))
    }
    await this.inFlight
  }
}
