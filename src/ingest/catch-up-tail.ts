// The newest candles of one symbol's catch-up, which are all of it that goes to /ws clients.
// A chart needs the recent bars live; older history is one REST page away, and publishing a
// long catch-up whole sent every connected client tens of thousands of old finals.
import type { Candle } from '../domain/candle.js'

export class CatchUpTail {
  private candles: Candle[] = []

  /** `limit`: candles kept, the newest by open time. */
  constructor (readonly limit: number) {}

  add (candles: readonly Candle[]): void {
    this.candles.push(...candles)
    // Trimmed in steps, so a long catch-up costs amortised O(1) per candle and at most 2 × limit held.
    if (this.candles.length > 2 * this.limit) this.trim()
  }

  /** The kept candles, oldest first; empties the tail. */
  take (): Candle[] {
    this.trim()
    const out = this.candles
    this.candles = []
    return out
  }

  private trim (): void {
    this.candles.sort((a, b) => a.ts - b.ts)
    const unique: Candle[] = []
    for (const c of this.candles) {
      if (unique.length > 0 && unique[unique.length - 1]!.ts === c.ts) unique[unique.length - 1] = c
      else unique.push(c)
    }
    this.candles = unique.slice(-this.limit)
  }
}
