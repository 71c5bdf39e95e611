// Which 1m candles of a symbol exist at all: none before its listing time, none inside a
// maintenance gap. Every longer bucket is made of the minutes this calendar lets exist.
import { MINUTE_MS } from '../../domain/intervals.js'

/** Minutes with open time in [from, to) do not exist (for one symbol, or all when omitted). */
export interface GapSpec {
  symbol?: string
  from: number
  to: number
}

/** Binance spot's launch day; the default listing time of every simulated symbol. */
export const DEFAULT_LISTED_AT = Date.UTC(2017, 7, 17)

/** Sorted, merged, minute-aligned [from, to) ranges of missing minutes. */
type Holes = ReadonlyArray<{ from: number, to: number }>

function floorMinute (t: number): number {
  return Math.floor(t / MINUTE_MS) * MINUTE_MS
}

function ceilMinute (t: number): number {
  return Math.ceil(t / MINUTE_MS) * MINUTE_MS
}

export class MinuteCalendar {
  private readonly holes = new Map<string, Holes>()

  /** `listedAt`: epoch ms before which a symbol has no klines; a record sets it per symbol. */
  constructor (
    private readonly listedAt: number | Readonly<Record<string, number>> = DEFAULT_LISTED_AT,
    private readonly gaps: readonly GapSpec[] = []
  ) {
    for (const g of gaps) {
      if (Number.isNaN(g.from) || Number.isNaN(g.to)) throw new RangeError('gap bounds must be numbers')
    }
  }

  listingTime (symbol: string): number {
    if (typeof this.listedAt === 'number') return this.listedAt
    return this.listedAt[symbol] ?? DEFAULT_LISTED_AT
  }

  // Pre-listing time is just one more hole, so existence checks only walk one list.
  private holesFor (symbol: string): Holes {
    let holes = this.holes.get(symbol)
    if (holes === undefined) {
      const raw = [{ from: Number.NEGATIVE_INFINITY, to: ceilMinute(this.listingTime(symbol)) }]
      for (const g of this.gaps) {
        if (g.symbol !== undefined && g.symbol !== symbol) continue
        const from = ceilMinute(g.from)
        const to = ceilMinute(g.to)
        if (to > from) raw.push({ from, to })
      }
      raw.sort((a, b) => a.from - b.from)
      const merged: Array<{ from: number, to: number }> = []
      for (const r of raw) {
        const last = merged.at(-1)
        if (last !== undefined && r.from <= last.to) last.to = Math.max(last.to, r.to)
        else merged.push({ ...r })
      }
      holes = merged
      this.holes.set(symbol, holes)
    }
    return holes
  }

  /** Whether the 1m candle opening at `minute` (aligned) exists at all. */
  minuteExists (symbol: string, minute: number): boolean {
    return !this.holesFor(symbol).some(h => h.from <= minute && minute < h.to)
  }

  /** Open time of the first existing minute at or after `t`; undefined if none ever exists. */
  nextMinute (symbol: string, t: number): number | undefined {
    let m = ceilMinute(t)
    for (const h of this.holesFor(symbol)) {
      if (h.from <= m && m < h.to) m = h.to
    }
    return Number.isFinite(m) ? m : undefined
  }

  /** Open time of the last existing minute at or before `t`; undefined before listing. */
  prevMinute (symbol: string, t: number): number | undefined {
    let m = floorMinute(t)
    const holes = this.holesFor(symbol)
    for (let i = holes.length - 1; i >= 0; i--) {
      const h = holes[i]!
      if (h.from <= m && m < h.to) m = h.from - MINUTE_MS
    }
    return Number.isFinite(m) ? m : undefined
  }
}
