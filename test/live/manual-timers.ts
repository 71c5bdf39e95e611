// A clock and timers that move only when a test moves them (the feed's ThrottleTimers, and a
// plain `now` for the hub and its clients).
import type { ThrottleTimers } from '../../src/live/live-feed.js'

export class ManualTimers implements ThrottleTimers {
  at: number
  private readonly due = new Map<number, { when: number, fn: () => void }>()
  private nextId = 1

  constructor (at = 0) {
    this.at = at
  }

  readonly now = (): number => this.at

  setTimeout (fn: () => void, ms: number): unknown {
    const id = this.nextId++
    this.due.set(id, { when: this.at + ms, fn })
    return id
  }

  clearTimeout (handle: unknown): void {
    this.due.delete(handle as number)
  }

  get pending (): number {
    return this.due.size
  }

  /** Moves the clock and fires, in time order, every timer that came due. */
  advance (ms: number): void {
    this.at += ms
    for (const [id, timer] of [...this.due].sort((a, b) => a[1].when - b[1].when)) {
      if (timer.when > this.at) continue
      this.due.delete(id)
      timer.fn()
    }
  }
}
