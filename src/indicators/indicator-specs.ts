// The indicators served, their parameters and how much history each needs before its first value.
//
// Warm-up: an indicator's value at a bar is emitted only when at least `warmup` stored bars precede
// it; the computation then starts `warmup` bars back and its values equal, within the tolerance
// below, the computation started at the first stored bar (the whole history):
// - sma: period - 1 bars; bbands: period - 1 bars. A window of the last `period` closes, exact.
// - ema: 10 * (period + 1) bars. EMA is recursive, e_t = a*p_t + (1-a)*e_(t-1) with a = 2/(period+1);
//   starting k bars later only changes the seed, and the seed's error shrinks by (1-a)^k <= e^(-a*k)
//   = e^-20 (2.1e-9) after k = 10*(period+1), times the price range before the start.
// - rsi: 20 * period + 1 bars. Wilder's averages of gains and losses have a = 1/period; e^-20 after
//   20*period changes, plus the one bar the first change needs.
// - macd: 10 * (slow + 1) + 10 * (signal + 1) bars: the slow EMA's warm-up, then the signal EMA's,
//   fed from the MACD line once the slow EMA has `slow` inputs.
// So every value is a function of its own last warmup + 1 bars, whatever older history is stored;
// a bar with fewer stored bars before it gets no value rather than one from a cold start.
import { badRequest } from '../query/api-error.js'

export const INDICATOR_NAMES = ['sma', 'ema', 'rsi', 'macd', 'bbands'] as const
export type IndicatorName = typeof INDICATOR_NAMES[number]

/** Largest period of any kind; warm-ups stay a few tens of thousands of bars at most. */
export const MAX_PERIOD = 1000

export type IndicatorParams =
  | { name: 'sma' | 'ema' | 'rsi', period: number }
  | { name: 'bbands', period: number, stddev: number }
  | { name: 'macd', fast: number, slow: number, signal: number }

/** Names of the values in each data row after the open time. */
export const INDICATOR_COLUMNS: Record<IndicatorName, readonly string[]> = {
  sma: ['value'],
  ema: ['value'],
  rsi: ['value'],
  macd: ['macd', 'signal', 'histogram'],
  bbands: ['lower', 'middle', 'upper']
}

const DEFAULT_PERIOD: Record<'sma' | 'ema' | 'rsi' | 'bbands', number> = { sma: 20, ema: 20, rsi: 14, bbands: 20 }

export interface RawIndicatorParams {
  name?: string
  period?: number
  fast?: number
  slow?: number
  signal?: number
  stddev?: number
}

function integer (value: number | undefined, param: string, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < min || value > MAX_PERIOD) {
    throw badRequest('period_invalid', `${param} must be an integer from ${min} to ${MAX_PERIOD} (got ${value})`)
  }
  return value
}

export function parseIndicatorParams (raw: RawIndicatorParams): IndicatorParams {
  const text = raw.name?.trim().toLowerCase()
  if (text === undefined || text === '') throw badRequest('name_invalid', `name is required; one of ${INDICATOR_NAMES.join(', ')}`)
  const name = INDICATOR_NAMES.find((n) => n === text)
  if (name === undefined) throw badRequest('name_invalid', `name "${raw.name}" is not an indicator served here; one of ${INDICATOR_NAMES.join(', ')}`)
  const unused = (params: ReadonlyArray<keyof RawIndicatorParams>) => {
    const given = params.find((p) => raw[p] !== undefined)
    if (given !== undefined) throw badRequest('invalid_parameter', `${given} does not apply to ${name}`)
  }
  if (name === 'macd') {
    unused(['period', 'stddev'])
    const fast = integer(raw.fast, 'fast', 12, 1)
    const slow = integer(raw.slow, 'slow', 26, 2)
    const signal = integer(raw.signal, 'signal', 9, 1)
    if (fast >= slow) throw badRequest('period_invalid', `fast (${fast}) must be less than slow (${slow})`)
    return { name, fast, slow, signal }
  }
  unused(['fast', 'slow', 'signal'])
  // A one-bar RSI or band has no spread to measure.
  const period = integer(raw.period, 'period', DEFAULT_PERIOD[name], name === 'rsi' || name === 'bbands' ? 2 : 1)
  if (name !== 'bbands') {
    unused(['stddev'])
    return { name, period }
  }
  const stddev = raw.stddev ?? 2
  if (!Number.isFinite(stddev) || stddev <= 0 || stddev > 10) {
    throw badRequest('stddev_invalid', `stddev must be a number above 0 and at most 10 (got ${stddev})`)
  }
  return { name, period, stddev }
}

/** Stored bars that must precede a bar for it to get a value (see the file comment). */
export function warmupBars (p: IndicatorParams): number {
  switch (p.name) {
    case 'sma':
    case 'bbands':
      return p.period - 1
    case 'ema':
      return 10 * (p.period + 1)
    case 'rsi':
      return 20 * p.period + 1
    case 'macd':
      return 10 * (p.slow + 1) + 10 * (p.signal + 1)
  }
}
