// When catch-up rounds run: one at a time; a request made while one runs is coalesced into one
// more round after it; a failed round is retried after a jittered exponential back-off, which
// resets once a round succeeds.
import { jitteredBackoff } from '../async/backoff.js'

export interface RoundTimers {
  setTimeout (fn: () => void, ms: number): unknown
  clearTimeout (handle: unknown): void
}

export interface CatchUpRoundsOptions {
  /** One round; resolves false when it failed and should be retried later. Must not reject. */
  round: () => Promise<boolean>
  retryMinMs?: number
  retryMaxMs?: number
  timers?: RoundTimers
  random?: () => number
}

/** Real timers that do not keep the process alive. */
const UNREF_TIMERS: RoundTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout)
}

export class CatchUpRounds {
  private running?: Promise<void>
  private again = false
  private retryTimer?: unknown
  private failures = 0
  private stopped = false
  private readonly timers: RoundTimers

  constructor (private readonly opts: CatchUpRoundsOptions) {
    this.timers = opts.timers ?? UNREF_TIMERS
  }

  /** The rounds now running, if any: settles once no round runs. */
  get current (): Promise<void> | undefined {
    return this.running
  }

  /** Runs a round now, or one more after the running one; a pending retry is superseded. */
  request (): void {
    if (this.stopped) return
    if (this.running !== undefined) {
      this.again = true
      return
    }
    this.clearRetry()
    this.running = this.loop().finally(() => { this.running = undefined })
  }

  /** Requests a round after the back-off, unless one is already due. */
  retryLater (): void {
    if (this.stopped || this.retryTimer !== undefined) return
    this.failures++
    const delay = jitteredBackoff(this.failures, this.opts.retryMinMs ?? 1000, this.opts.retryMaxMs ?? 30_000, this.opts.random)
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined
      this.request()
    }, delay)
  }

  /** No round starts from now on; a running one finishes (see `current`). */
  stop (): void {
    this.stopped = true
    this.clearRetry()
  }

  private clearRetry (): void {
    if (this.retryTimer === undefined) return
    this.timers.clearTimeout(this.retryTimer)
    this.retryTimer = undefined
  }

  private async loop (): Promise<void> {
    do {
      this.again = false
      if (!await this.opts.round()) {
        this.retryLater()
        return
      }
      this.failures = 0
    } while (this.again && !this.stopped)
  }
}
