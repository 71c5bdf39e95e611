// The order in which one symbol's stream events take effect. Closed candles are applied one at a
// time in arrival order; while a catch-up runs they are held and applied after it, sorted. A
// partial must not overtake the final of the minute before it, so it is published only once every
// close received before it has been applied, and only the newest partial is kept meanwhile.
import { SerialQueue } from '../async/serial-queue.js'
import type { Candle } from '../domain/candle.js'

export interface SymbolLaneHandlers {
  /** Stores (and publishes) one closed candle; never runs concurrently with another. */
  applyClosed (candle: Candle): Promise<void>
  /** Publishes the newest forming candle, in its turn behind the closes before it. */
  publishPartial (candle: Candle): void
  /** A job failed; the lane goes on with the next one. */
  onError (err: unknown): void
}

export class SymbolLane {
  private readonly jobs = new SerialQueue()
  private holding = false
  private readonly held = new Map<number, Candle>()
  /** The newest forming candle not yet published. */
  private partial?: Candle
  /** Identifies the queued job that will publish `partial`; a close queued later voids it. */
  private partialJob?: object

  constructor (private readonly handlers: SymbolLaneHandlers) {}

  /** True between hold() and release(). */
  get holdingCloses (): boolean {
    return this.holding
  }

  /** Closed candles held now. */
  get heldCount (): number {
    return this.held.size
  }

  closed (candle: Candle): void {
    // A partial queued before this close must not be published ahead of it: void its job, drop
    // the partial if this close supersedes it, and queue a newer one again behind the close.
    this.partialJob = undefined
    if (this.partial !== undefined && this.partial.ts <= candle.ts) this.partial = undefined
    if (this.holding) {
      this.held.set(candle.ts, candle)
      return
    }
    this.run(() => this.handlers.applyClosed(candle))
    if (this.partial !== undefined) this.queuePartial()
  }

  forming (candle: Candle): void {
    this.partial = candle
    if (!this.holding) this.queuePartial()
  }

  /** Holds closed candles from now on, until release(). */
  hold (): void {
    this.holding = true
  }

  /** Applies the held closes in open-time order, as if just received, and stops holding. */
  release (): void {
    if (!this.holding) return
    this.holding = false
    for (const candle of this.takeHeld().sort((a, b) => a.ts - b.ts)) this.run(() => this.handlers.applyClosed(candle))
    if (this.partial !== undefined) this.queuePartial()
  }

  /** Hands out the held closes instead of applying them (at stop). */
  takeHeld (): Candle[] {
    const held = [...this.held.values()]
    this.held.clear()
    return held
  }

  /** Resolves once every job queued so far has run. */
  async idle (): Promise<void> {
    await this.jobs.idle()
  }

  private queuePartial (): void {
    if (this.partialJob !== undefined) return
    const job = {}
    this.partialJob = job
    this.run(async () => {
      if (this.partialJob !== job) return
      this.partialJob = undefined
      const partial = this.partial
      this.partial = undefined
      if (partial !== undefined) this.handlers.publishPartial(partial)
    })
  }

  private run (job: () => Promise<void>): void {
    this.jobs.run(job).catch((err: unknown) => this.handlers.onError(err))
  }
}
