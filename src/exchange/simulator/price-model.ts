// Deterministic synthetic market data. Any (seed, symbol, minute) maps to the same candle no matter
// the order of requests, so the simulator, the seed command and every test share one ground truth.
//
// The log-price is multi-scale value noise (a fractal walk): each octave k contributes noise on a
// lattice of 2^k minutes, interpolated linearly, so the price at any minute is computed directly in
// O(octaves) without replaying history.
import { MINUTE_MS, addBuckets, bucketStart, bucketStartAtOrAfter, type Interval } from '../../domain/intervals.js'
import type { Candle } from '../../domain/candle.js'

/** Sub-steps of the intra-minute path; partial updates move along it. */
export const MINUTE_STEPS = 12

const OCTAVES = 21
const MINUTE_SIGMA = 0.0006

const KNOWN_BASES: Record<string, number> = {
  BTCUSDT: 60_000,
  ETHUSDT: 3_000,
  BNBUSDT: 600,
  SOLUSDT: 150,
  XRPUSDT: 0.6,
  DOGEUSDT: 0.12,
  ETHBTC: 0.05
}

function hashString (s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** A 32-bit integer mixer (murmur3 finaliser) over three inputs; returns a float in [0, 1). */
export function hashUnit (a: number, b: number, c: number): number {
  let h = (a ^ Math.imul(b | 0, 0x9e3779b1) ^ Math.imul(c | 0, 0x85ebca77)) >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return (h >>> 0) / 4294967296
}

export interface SymbolModel {
  symbol: string
  key: number
  /**
   * The last lattice cell read per octave. Neighbouring minutes share cells in every octave but
   * the finest, so sequential generation reuses them; results never depend on this memo.
   */
  cells: { index: Int32Array, a: Float64Array, b: Float64Array }
  base: number
  /** Price decimals (tick size 10^-decimals). */
  priceDecimals: number
  volumeDecimals: number
  /** Typical volume per minute, in base asset units. */
  minuteVolume: number
}

const models = new Map<string, SymbolModel>()

export function symbolModel (symbol: string, seed = 1): SymbolModel {
  const id = `${seed}:${symbol}`
  let m = models.get(id)
  if (m === undefined) {
    const key = hashString(id)
    const base = KNOWN_BASES[symbol] ?? 10 ** (hashUnit(key, 7, 7) * 4 - 1)
    const magnitude = Math.floor(Math.log10(base))
    const priceDecimals = Math.min(8, Math.max(2, 5 - magnitude))
    const volumeDecimals = Math.min(8, Math.max(0, 2 + magnitude))
    const minuteVolume = 600_000 / base
    m = {
      symbol,
      key,
      base,
      priceDecimals,
      volumeDecimals,
      minuteVolume,
      cells: { index: new Int32Array(OCTAVES).fill(-1), a: new Float64Array(OCTAVES), b: new Float64Array(OCTAVES) }
    }
    models.set(id, m)
  }
  return m
}

const POW10 = Array.from({ length: 9 }, (_, d) => 10 ** d)

/** x rounded to `decimals` places; the division of an integer keeps the shortest decimal form. */
function roundTo (x: number, decimals: number): number {
  const p = POW10[decimals]!
  return Math.round(x * p) / p
}

const CELL = Array.from({ length: OCTAVES }, (_, k) => 2 ** k)
const AMPLITUDE = CELL.map((cell) => MINUTE_SIGMA * Math.sqrt(cell))

/** The price at a real-valued minute index (fractions interpolate within the lattice). */
function logPrice (m: SymbolModel, minute: number): number {
  const { index, a, b } = m.cells
  let acc = 0
  for (let k = 0; k < OCTAVES; k++) {
    const x = minute / CELL[k]!
    const i = Math.floor(x)
    if (index[k] !== i) {
      a[k] = index[k] === i - 1 ? b[k]! : hashUnit(m.key, k, i) * 2 - 1
      b[k] = hashUnit(m.key, k, i + 1) * 2 - 1
      index[k] = i
    }
    acc += (a[k]! + (b[k]! - a[k]!) * (x - i)) * AMPLITUDE[k]!
  }
  return acc
}

function priceAt (m: SymbolModel, minute: number): number {
  return roundTo(m.base * Math.exp(logPrice(m, minute)), m.priceDecimals)
}

/** The path of one minute: MINUTE_STEPS + 1 prices from open to close, and the minute's volume. */
function minutePath (m: SymbolModel, minute: number): { path: number[], volumeUnits: number } {
  const open = priceAt(m, minute)
  const close = priceAt(m, minute + 1)
  const path = [open]
  const wiggle = m.base * MINUTE_SIGMA * 0.8
  for (let s = 1; s < MINUTE_STEPS; s++) {
    const t = s / MINUTE_STEPS
    // A bridge: free in the middle, pinned to open and close at the ends.
    const noise = (hashUnit(m.key, 1000 + s, minute) * 2 - 1) * wiggle * Math.sqrt(t * (1 - t)) * 2
    path.push(Math.max(roundTo(open + (close - open) * t + noise, m.priceDecimals), 10 ** -m.priceDecimals))
  }
  path.push(close)
  const scale = 10 ** m.volumeDecimals
  const volumeUnits = Math.round(m.minuteVolume * (0.2 + 1.8 * hashUnit(m.key, 999, minute)) * scale)
  return { path, volumeUnits }
}

/**
 * The 1m candle opening at `openTime`, as it stands after `steps` of MINUTE_STEPS sub-steps
 * (MINUTE_STEPS, the default, is the closed candle; fewer is a partial).
 */
export function minuteCandle (symbol: string, openTime: number, steps = MINUTE_STEPS, seed = 1): Candle {
  const m = symbolModel(symbol, seed)
  const minute = Math.floor(openTime / MINUTE_MS)
  const { path, volumeUnits } = minutePath(m, minute)
  const s = Math.max(0, Math.min(MINUTE_STEPS, steps))
  let high = path[0]!
  let low = path[0]!
  for (let i = 1; i <= s; i++) {
    if (path[i]! > high) high = path[i]!
    if (path[i]! < low) low = path[i]!
  }
  const scale = 10 ** m.volumeDecimals
  return {
    symbol,
    interval: '1m',
    ts: minute * MINUTE_MS,
    open: path[0]!,
    high,
    low,
    close: path[s]!,
    volume: Math.floor(volumeUnits * s / MINUTE_STEPS) / scale
  }
}

/**
 * The candle of any interval opening at `openTime`, aggregated from its 1m candles, as it stands at
 * time `asOf` (default: closed). Minutes after `asOf` are left out; the minute containing `asOf` is
 * partial. Returns undefined when `asOf` is before the bucket opens.
 */
export function intervalCandle (symbol: string, interval: Interval, openTime: number, asOf = Number.POSITIVE_INFINITY, seed = 1): Candle | undefined {
  const start = bucketStart(interval, openTime)
  const end = addBuckets(interval, start, 1)
  if (asOf < start) return undefined
  const m = symbolModel(symbol, seed)
  const scale = 10 ** m.volumeDecimals
  let out: Candle | undefined
  let volumeUnits = 0
  for (let t = start; t < end && t <= asOf; t += MINUTE_MS) {
    const steps = t + MINUTE_MS <= asOf ? MINUTE_STEPS : Math.floor(((asOf - t) / MINUTE_MS) * MINUTE_STEPS)
    const c = minuteCandle(symbol, t, steps, seed)
    volumeUnits += Math.round(c.volume * scale)
    if (out === undefined) out = { ...c, interval, ts: start }
    else {
      if (c.high > out.high) out.high = c.high
      if (c.low < out.low) out.low = c.low
      out.close = c.close
    }
  }
  if (out !== undefined) out.volume = volumeUnits / scale
  return out
}

/** Closed 1m candles with open time in [from, to), in order. */
export function minuteCandles (symbol: string, from: number, to: number, seed = 1): Candle[] {
  const out: Candle[] = []
  for (let t = bucketStartAtOrAfter('1m', from); t < to; t += MINUTE_MS) {
    out.push(minuteCandle(symbol, t, MINUTE_STEPS, seed))
  }
  return out
}
