// The listeners a store tells about each committed write (the latest-N cache, the live feed,
// metrics), whatever its engine.
import type { WriteInfo, WriteListener } from './candle-store.js'

export class WriteListeners {
  private readonly listeners = new Set<WriteListener>()

  /** Adds a listener; the function returned removes it. */
  add (listener: WriteListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Calls every listener, in the order added, with the symbols a write touched. */
  emit (symbols: ReadonlySet<string>, info: WriteInfo): void {
    for (const l of this.listeners) l(symbols, info)
  }

  /** Reports a deletion like a write of no rows, so what is cached of those symbols goes too. */
  emitDeletion (symbols: ReadonlySet<string>): void {
    this.emit(symbols, { rows: 0, durationMs: 0 })
  }

  clear (): void {
    this.listeners.clear()
  }
}
