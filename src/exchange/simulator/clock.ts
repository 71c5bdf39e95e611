// Simulated exchange time. The simulator never reads Date.now() for market time: everything that
// depends on "now" (which candle is open, when a final kline is due) goes through a SimClock, so a
// test can step minutes in microseconds with a ManualClock while a demo runs on a RealClock.

export type TickListener = (now: number) => void

export interface SimClock {
  /** Simulated epoch milliseconds. */
  now: () => number
  /** Called whenever simulated time moves; returns an unsubscribe function. */
  onTick: (listener: TickListener) => () => void
  close: () => void
}

// Listeners are called from a snapshot so one may unsubscribe itself mid-notification; a throwing
// listener must not starve the others, so the first error is rethrown after all have run.
class TickListeners {
  private readonly listeners = new Set<TickListener>()

  add (listener: TickListener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  notify (now: number): void {
    let failure: { error: unknown } | undefined
    for (const listener of [...this.listeners]) {
      try {
        listener(now)
      } catch (error) {
        failure ??= { error }
      }
    }
    if (failure !== undefined) throw failure.error
  }

  clear (): void {
    this.listeners.clear()
  }
}

function assertFiniteMs (name: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number of milliseconds, got ${value}`)
}

/** Time moves only when told to; every move notifies listeners synchronously. */
export class ManualClock implements SimClock {
  private current: number
  private readonly listeners = new TickListeners()

  constructor (startMs: number) {
    assertFiniteMs('startMs', startMs)
    this.current = startMs
  }

  now (): number {
    return this.current
  }

  /** Moves time forward by `ms` (≥ 0) in one step; returns the new time. */
  advance (ms: number): number {
    assertFiniteMs('ms', ms)
    if (ms < 0) throw new RangeError(`advance() cannot move time backwards (${ms} ms); use set()`)
    return this.set(this.current + ms)
  }

  /** Jumps to an absolute time (backwards allowed); returns it. */
  set (ms: number): number {
    assertFiniteMs('ms', ms)
    this.current = ms
    this.listeners.notify(ms)
    return ms
  }

  onTick (listener: TickListener): () => void {
    return this.listeners.add(listener)
  }

  close (): void {
    this.listeners.clear()
  }
}

export interface RealClockOptions {
  /** Simulated time at creation; defaults to the wall clock. */
  startMs?: number
  /** Simulated milliseconds per wall millisecond. */
  speed?: number
  /** Wall milliseconds between tick notifications. */
  tickMs?: number
}

/**
 * Wall ms between ticks of a clock running `speed` times as fast as the wall: a tick about every
 * 250 simulated ms, but at least every 250 wall ms and never more often than every 20.
 */
export function tickMsForSpeed (speed: number): number {
  return Math.max(20, Math.min(250, Math.round(250 / speed)))
}

/** Follows the wall clock from `startMs`, optionally sped up, ticking on an unref'd timer. */
export class RealClock implements SimClock {
  private readonly startMs: number
  private readonly speed: number
  private readonly createdAt: number
  private readonly listeners = new TickListeners()
  private timer: NodeJS.Timeout | undefined

  constructor (options: RealClockOptions = {}) {
    this.createdAt = Date.now()
    this.startMs = options.startMs ?? this.createdAt
    this.speed = options.speed ?? 1
    const tickMs = options.tickMs ?? 250
    assertFiniteMs('startMs', this.startMs)
    if (!(this.speed > 0) || !Number.isFinite(this.speed)) throw new RangeError(`speed must be a positive number, got ${this.speed}`)
    if (!(tickMs > 0) || !Number.isFinite(tickMs)) throw new RangeError(`tickMs must be a positive number, got ${tickMs}`)
    // Unref'd so a forgotten clock never keeps a process (or a test runner) alive.
    this.timer = setInterval(() => { this.listeners.notify(this.now()) }, tickMs)
    this.timer.unref()
  }

  now (): number {
    return Math.floor(this.startMs + (Date.now() - this.createdAt) * this.speed)
  }

  onTick (listener: TickListener): () => void {
    return this.listeners.add(listener)
  }

  close (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    this.listeners.clear()
  }
}
