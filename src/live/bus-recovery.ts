// What a replica does about pub/sub being at-most-once. While its connection is down, or a
// publisher reports that it failed to publish, messages may have been lost; the finals among them
// are in the store. So once messages flow again the replica re-reads its series index (notices of
// writes may be lost too), re-publishes to its own subscribers every 1m final stored after the
// newest one they got (the newest `publishLimit` per symbol at most, the catch-up's rule; only the
// newest for a symbol first stored during the interruption), then a `resync_done` naming those
// symbols. What arrives from the bus meanwhile is held and delivered after, so every subscriber
// still sees each symbol's finals in order.
import { fromTuple } from '../domain/candle.js'
import { BASE_INTERVAL } from '../domain/intervals.js'
import type { Log } from '../log.js'
import type { CandleStore } from '../store/candle-store.js'
import type { LiveMessage, WriteNotice } from './live-bus.js'

export type RecoveryStore = Pick<CandleStore, 'listSymbols' | 'storedRange' | 'getCandles' | 'reloadIndex'>

/** A received message that waits while a recovery runs. */
export type HeldMessage = LiveMessage | ({ type: 'write' } & WriteNotice)

export interface BusRecoveryOptions {
  store: RecoveryStore
  deliver: (msg: LiveMessage) => void
  applyWrite: (notice: WriteNotice) => void
  /** Whether anybody here listens to live messages; without listeners nothing is re-published. */
  hasListeners: () => boolean
  /** Newest finals re-published per symbol at most. */
  publishLimit: number
  log: Log
  /** Pause before another try when the store fails during a recovery (ms). */
  retryDelayMs?: number
}

/** Messages held at most while recovering; past it they are dropped and the store read again. */
const MAX_HELD = 100_000
const RETRIES = 3

export class BusRecovery {
  /**
   * Per symbol: open time of the newest 1m final subscribers here have had, or that was stored
   * before an interruption they could have missed it in.
   */
  private readonly upTo = new Map<string, number>()
  /** Per symbol: newest 1m open time in the index when the interruption began. */
  private marks: Map<string, number> | undefined
  private held: HeldMessage[] | undefined
  private running: Promise<void> | undefined
  private again = false
  private closed = false
  private retryTimer: NodeJS.Timeout | undefined
  private wake: (() => void) | undefined
  recoveries = 0
  recoveredFinals = 0
  failures = 0

  constructor (private readonly opts: BusRecoveryOptions) {}

  /** A message from the bus: delivered now, or held while an interruption is being made good. */
  receive (msg: HeldMessage): void {
    if (this.held === undefined) {
      this.dispatch(msg)
      return
    }
    if (this.held.length >= MAX_HELD) {
      // Too much arrived during one recovery: start over from the store, which holds every final.
      this.held = []
      this.again = true
    }
    this.held.push(msg)
  }

  /** Messages may be lost from now on (the connection dropped, or is not up yet). */
  interrupted (): void {
    this.held ??= []
    if (this.marks !== undefined) return
    const marks = new Map<string, number>()
    for (const symbol of this.opts.store.listSymbols()) {
      const last = this.opts.store.storedRange(symbol, BASE_INTERVAL)?.last
      if (last !== undefined) marks.set(symbol, last)
    }
    this.marks = marks
  }

  /** Messages flow again, or a publisher lost some: make good what may be missing. */
  recover (): Promise<void> {
    this.held ??= []
    if (this.running !== undefined) {
      this.again = true
      return this.running
    }
    this.running = this.run().finally(() => { this.running = undefined })
    return this.running
  }

  get recovering (): boolean {
    return this.held !== undefined
  }

  /** Resolves when no recovery runs (tests, shutdown). */
  async idle (): Promise<void> {
    while (this.running !== undefined) await this.running
  }

  close (): void {
    this.closed = true
    clearTimeout(this.retryTimer)
    this.wake?.()
    this.held = undefined
  }

  private async run (): Promise<void> {
    let failedTries = 0
    while (!this.closed) {
      this.again = false
      try {
        await this.replay()
        failedTries = 0
      } catch (err) {
        this.failures++
        if (++failedTries >= RETRIES) {
          this.opts.log.error({ err }, 'live bus recovery failed; finals missed while the bus was down may not reach clients')
          break
        }
        this.opts.log.warn({ err, attempt: failedTries }, 'live bus recovery failed; retrying')
        await this.pause(failedTries * (this.opts.retryDelayMs ?? 1000))
        continue
      }
      if (!this.again) break
    }
    const held = this.held ?? []
    this.held = undefined
    if (this.closed) return
    for (const msg of held) this.dispatch(msg)
  }

  private async replay (): Promise<void> {
    this.recoveries++
    const { store } = this.opts
    await store.reloadIndex?.()
    const marks = this.marks
    if (!this.opts.hasListeners()) {
      this.marks = undefined
      return
    }
    const symbols = new Set([...this.upTo.keys(), ...(marks?.keys() ?? []), ...store.listSymbols()])
    const filled: string[] = []
    for (const symbol of symbols) {
      if (this.closed) return
      const since = this.upTo.get(symbol) ?? marks?.get(symbol)
      const last = store.storedRange(symbol, BASE_INTERVAL)?.last
      if (last === undefined || (since !== undefined && last <= since)) continue
      // A symbol first stored since (another process imported it, or started ingesting it) may
      // have thousands of bars nobody here watched live: its newest one stands for them.
      const rows = await store.getCandles({ symbol, interval: BASE_INTERVAL, limit: since === undefined ? 1 : this.opts.publishLimit })
      let sent = 0
      for (const row of rows) {
        if (since !== undefined && row[0] <= since) continue
        this.dispatch({ type: 'candle', candle: fromTuple(symbol, BASE_INTERVAL, row), final: true })
        sent++
      }
      if (sent > 0) filled.push(symbol)
      this.recoveredFinals += sent
    }
    // Only now: a failed try keeps the marks for the next one.
    for (const [symbol, mark] of marks ?? []) if (!this.upTo.has(symbol)) this.upTo.set(symbol, mark)
    this.marks = undefined
    if (filled.length > 0) this.dispatch({ type: 'resync_done', interval: BASE_INTERVAL, symbols: filled })
  }

  private dispatch (msg: HeldMessage): void {
    if (msg.type === 'write') {
      this.opts.applyWrite({ symbols: msg.symbols, ranges: msg.ranges })
      return
    }
    if (msg.type === 'candle' && msg.final && msg.candle.interval === BASE_INTERVAL) {
      const prev = this.upTo.get(msg.candle.symbol)
      if (prev === undefined || msg.candle.ts > prev) this.upTo.set(msg.candle.symbol, msg.candle.ts)
    }
    this.opts.deliver(msg)
  }

  private pause (ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve
      // Not unref'd: a recovery in progress is work the process still has; close() ends it.
      this.retryTimer = setTimeout(resolve, ms)
    })
  }
}
