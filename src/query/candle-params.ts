// The candle window parameters (/api/v1/candles, /api/v1/indicators): every accepted spelling of
// each, and the folding of those spellings into the canonical names. The route schemas, the error
// codes and the messages are all derived from this one table.
import type { Interval } from '../domain/intervals.js'

/**
 * Accepted spellings of each parameter, the canonical name first; when several are sent, the
 * first present (and not empty) wins. `code` is the error code of every mistake in it.
 */
export const CANDLE_PARAMS = {
  symbol: { spellings: ['symbol', 'pair', 'ticker'], code: 'symbol_invalid' },
  interval: { spellings: ['interval', 'resolution', 'tf'], code: 'interval_invalid' },
  from: { spellings: ['from', 'fromTs', 'start', 'startTime'], code: 'time_range_invalid' },
  to: { spellings: ['to', 'toTs', 'end', 'endTime'], code: 'time_range_invalid' },
  limit: { spellings: ['limit', 'max', 'count'], code: 'limit_invalid' }
} as const

export type CandleParamName = keyof typeof CANDLE_PARAMS

export const CANDLE_PARAM_NAMES = Object.keys(CANDLE_PARAMS) as CandleParamName[]

/** The spelling each canonical parameter was read from, so answers name what the client sent. */
export type CandleParamKeys = Partial<Record<CandleParamName, string>>

/** The other spellings of a parameter (its aliases), in precedence order. */
export function aliasesOf (name: CandleParamName): readonly string[] {
  return CANDLE_PARAMS[name].spellings.slice(1)
}

/** Error code of every spelling of every parameter, e.g. `max` -> `limit_invalid`. */
export function candleParamCodes (): Record<string, string> {
  return Object.fromEntries(Object.values(CANDLE_PARAMS).flatMap(({ spellings, code }) => spellings.map((key) => [key, code])))
}

// TradingView's resolution strings, for charting libraries that send them as-is.
export const TRADINGVIEW_RESOLUTIONS: Readonly<Record<string, Interval>> = {
  1: '1m',
  3: '3m',
  5: '5m',
  15: '15m',
  30: '30m',
  60: '1h',
  120: '2h',
  240: '4h',
  360: '6h',
  480: '8h',
  720: '12h',
  D: '1d',
  '1D': '1d',
  W: '1w',
  '1W': '1w',
  M: '1M'
}

/**
 * The query with every spelling folded into its canonical name: the winning value is kept under
 * the canonical name and the other spellings are dropped; keys that are not candle parameters pass
 * through. A TradingView resolution sent as `resolution` (60, D, ...) becomes its interval; any
 * other value is kept as sent, so the route schema refuses it and the answer can quote it.
 */
export function foldCandleParams (raw: Readonly<Record<string, unknown>>): { query: Record<string, unknown>, keys: CandleParamKeys } {
  const query: Record<string, unknown> = { ...raw }
  const keys: CandleParamKeys = {}
  for (const name of CANDLE_PARAM_NAMES) {
    let winner: string | undefined
    for (const key of CANDLE_PARAMS[name].spellings) {
      const value = raw[key]
      if (winner === undefined && value !== undefined && value !== '') winner = key
      delete query[key]
    }
    if (winner === undefined) continue
    const value = raw[winner]
    query[name] = winner === 'resolution' && typeof value === 'string' && Object.hasOwn(TRADINGVIEW_RESOLUTIONS, value)
      ? TRADINGVIEW_RESOLUTIONS[value]
      : value
    keys[name] = winner
  }
  return { query, keys }
}
