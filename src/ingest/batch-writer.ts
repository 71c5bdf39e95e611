// Coalesces candle writes made in the same event-loop turn into one store transaction, so closed
// candles of many symbols arriving together cost one upsert, not one each.
import { SerialQueue } from '../async/serial-queue.js'
import { TurnBatcher } from '../async/turn-batcher.js'
import type { Candle } from '../domain/candle.js'
import type { CandleStore } from '../store/candle-store.js'

interface PendingWrite {
  candles: readonly Candle[]
  resolve: () => void
  reject: (err: unknown) => void
}

export class BatchWriter {
  private readonly batcher = new TurnBatcher<PendingWrite>((writes) => { void this.commit(writes) })
  private readonly commits = new SerialQueue()

  constructor (private readonly store: CandleStore) {}

  /** Resolves once the candles are committed. */
  write (candles: readonly Candle[]): Promise<void> {
    if (candles.length === 0) return Promise.resolve()
    return new Promise<void>((resolve, reject) => this.batcher.push({ candles, resolve, reject }))
  }

  private async commit (writes: PendingWrite[]): Promise<void> {
    await this.commits.run(async () => {
      try {
        await this.store.upsertBatch(writes.flatMap((w) => w.candles))
        for (const w of writes) w.resolve()
      } catch (err) {
        for (const w of writes) w.reject(err)
      }
    })
  }

  /** Resolves when everything written so far is committed (or failed). */
  async drain (): Promise<void> {
    await this.batcher.idle()
    await this.commits.idle()
  }
}
