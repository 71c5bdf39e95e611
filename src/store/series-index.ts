// What a store holds, in memory: for every symbol, the first and last open time of each interval
// stored natively. Reads plan their windows from it and listings answer from it without a query,
// so every store keeps one in step with its writes and deletes, whatever engine it runs on.
import { BASE_INTERVAL, INTERVALS, type Interval } from '../domain/intervals.js'
import type { IntervalRange, TimeRange } from './candle-store.js'
import { servableRange } from './candle-windows.js'

export class SeriesIndex {
  private readonly bySymbol = new Map<string, Map<Interval, TimeRange>>()

  /** Widens the range of one series to take in [first, last] (a series not yet known starts there). */
  note (symbol: string, interval: Interval, first: number, last: number): void {
    let ranges = this.bySymbol.get(symbol)
    if (ranges === undefined) {
      ranges = new Map()
      this.bySymbol.set(symbol, ranges)
    }
    const r = ranges.get(interval)
    if (r === undefined) ranges.set(interval, { first, last })
    else {
      r.first = Math.min(r.first, first)
      r.last = Math.max(r.last, last)
    }
  }

  /**
   * Sets the range of one series to what a store found after rows went away; undefined when
   * none is left, which forgets the series (and the symbol with its last series).
   */
  replace (symbol: string, interval: Interval, range: TimeRange | undefined): void {
    const ranges = this.bySymbol.get(symbol)
    if (range === undefined) {
      ranges?.delete(interval)
      if (ranges?.size === 0) this.bySymbol.delete(symbol)
    } else {
      ranges?.set(interval, { first: range.first, last: range.last })
    }
  }

  clear (): void {
    this.bySymbol.clear()
  }

  /** The stored range of one series, as a copy (the index's own object changes with writes). */
  range (symbol: string, interval: Interval): TimeRange | undefined {
    const r = this.bySymbol.get(symbol)?.get(interval)
    return r === undefined ? undefined : { first: r.first, last: r.last }
  }

  has (symbol: string): boolean {
    return this.bySymbol.has(symbol)
  }

  /** Every symbol with a stored series, sorted. */
  symbols (): string[] {
    return [...this.bySymbol.keys()].sort()
  }

  /**
   * Every interval a symbol can be served in, in the order of INTERVALS: those stored natively
   * with their range and row count (`counts`, by interval), the others rolled up from 1m over the
   * bars its minutes span. Empty for a symbol with nothing stored.
   */
  intervalRanges (symbol: string, counts: ReadonlyMap<string, number>): IntervalRange[] {
    const stored = this.bySymbol.get(symbol)
    if (stored === undefined) return []
    const base = stored.get(BASE_INTERVAL)
    const out: IntervalRange[] = []
    for (const interval of INTERVALS) {
      const native = stored.get(interval)
      if (native !== undefined) {
        out.push({ interval, first: native.first, last: native.last, native: true, count: counts.get(interval) ?? 0 })
      } else {
        const rolled = base === undefined ? undefined : servableRange(interval, base)
        if (rolled !== undefined) out.push({ interval, ...rolled, native: false })
      }
    }
    return out
  }
}
