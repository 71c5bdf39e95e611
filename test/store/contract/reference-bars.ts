// The bars a store must serve, computed in plain JavaScript from the candles written: the roll-up
// rules of rollup-plan.ts (first open, highest high, lowest low, last close, volumes summed as
// decimals of 8 places, rounded half away from zero, then turned into a double the way DuckDB's
// DECIMAL(38, 8) cast does it).
import type { Candle, CandleTuple } from '../../../src/domain/candle.js'
import { bucketStart, type Interval } from '../../../src/domain/intervals.js'

const SCALE = 100_000_000n

function scaled (v: number): bigint {
  const y = v * 1e8
  const t = Math.trunc(y)
  return BigInt(Math.abs(y - t) >= 0.5 ? t + Math.sign(y) : t)
}

function toDouble (u: bigint): number {
  if (u <= 2n ** 53n) return Number(u) / 1e8
  return Number(u / SCALE) + Number(u % SCALE) / 1e8
}

/** The 1m candles of `candles` (one series, any order, last version of a key winning) rolled up into `interval`. */
export function referenceBars (candles: readonly Candle[], interval: Interval): CandleTuple[] {
  const byTs = new Map<number, Candle>()
  for (const c of candles) byTs.set(c.ts, c)
  const sorted = [...byTs.values()].sort((a, b) => a.ts - b.ts)
  if (interval === '1m') return sorted.map((c) => [c.ts, c.open, c.high, c.low, c.close, c.volume])
  const out: Array<{ b: number, open: number, high: number, low: number, close: number, volume: bigint }> = []
  for (const c of sorted) {
    const b = bucketStart(interval, c.ts)
    const last = out[out.length - 1]
    if (last === undefined || last.b !== b) out.push({ b, open: c.open, high: c.high, low: c.low, close: c.close, volume: scaled(c.volume) })
    else {
      last.high = Math.max(last.high, c.high)
      last.low = Math.min(last.low, c.low)
      last.close = c.close
      last.volume += scaled(c.volume)
    }
  }
  return out.map((r) => [r.b, r.open, r.high, r.low, r.close, toDouble(r.volume)])
}
