/**
 * Collects items pushed during one event-loop turn and hands them over together on the next
 * (setImmediate), so a burst of arrivals costs one pass instead of one each.
 */
export class TurnBatcher<T> {
  private items: T[] = []
  private scheduled = false

  constructor (private readonly flush: (items: T[]) => void) {}

  push (...items: T[]): void {
    this.items.push(...items)
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      const batch = this.items
      this.items = []
      this.flush(batch)
    })
  }

  /** Items waiting for the next turn. */
  get pending (): number {
    return this.items.length
  }

  /** Resolves once everything pushed so far has been handed to `flush`. */
  async idle (): Promise<void> {
    while (this.scheduled) await new Promise((resolve) => setImmediate(resolve))
  }
}
