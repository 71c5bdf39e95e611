// The /api/v1/candles parameters: aliases, time units, limits and their errors. Kept apart from the
// route so the rules are testable on their own and shared by every entry point.
import { INTERVALS, isInterval, type Interval } from '../domain/intervals.js'
import { normalizeSymbol } from '../domain/symbols.js'
import { TIME_RANGE_TEXT, inTimeRange, parseTimestamp } from '../domain/time.js'
import { parseBoolean } from '../domain/boolean-words.js'
import type { CandleQuery } from '../store/candle-store.js'
import { badRequest } from './api-error.js'

/** Accepted spellings of each parameter; the first present wins. */
export const CANDLE_PARAM_ALIASES = {
  symbol: ['symbol', 'pair', 'ticker'],
  interval: ['interval', 'resolution', 'tf'],
  from: ['from', 'fromTs', 'start', 'startTime'],
  to: ['to', 'toTs', 'end', 'endTime'],
  limit: ['limit', 'max', 'count']
} as const

export type CandleParamName = keyof typeof CANDLE_PARAM_ALIASES

/** Query values as the route schema leaves them: limits are already numbers, times still text. */
export type RawCandleParams = Partial<Record<string, string | number | undefined>>

export interface CandleLimits {
  defaultLimit: number
  maxLimit: number
}

function pick (raw: RawCandleParams, name: CandleParamName): { key: string, value: string | number } | undefined {
  for (const key of CANDLE_PARAM_ALIASES[name]) {
    const value = raw[key]
    if (value !== undefined && value !== '') return { key, value }
  }
  return undefined
}

// TradingView's resolution strings, for charting libraries that send them as-is.
const TRADINGVIEW_RESOLUTIONS: Record<string, Interval> = {
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

export function parseInterval (text: string, allowTradingView = false): Interval | undefined {
  if (isInterval(text)) return text
  return allowTradingView ? TRADINGVIEW_RESOLUTIONS[text] : undefined
}

export const INTERVAL_LIST = INTERVALS.join(', ')

export function requireSymbol (value: string | number | undefined, param = 'symbol'): string {
  if (value === undefined || value === '') throw badRequest('symbol_required', `${param} is required (e.g. ${param}=BTCUSDT)`)
  const symbol = normalizeSymbol(String(value))
  if (symbol === undefined) throw badRequest('symbol_invalid', `${param} "${value}" is not a symbol: use letters and digits, e.g. BTCUSDT`)
  return symbol
}

export function parseFlag (value: string | undefined, param: string): boolean {
  if (value === undefined || value === '') return false
  const b = parseBoolean(value)
  if (b === undefined) throw badRequest('invalid_parameter', `${param} must be true or false (got "${value}")`)
  return b
}

/** Validates and normalises candle parameters into a store query; throws ApiError(400). */
export function resolveCandleQuery (raw: RawCandleParams, limits: CandleLimits): CandleQuery {
  const sym = pick(raw, 'symbol')
  const symbol = requireSymbol(sym?.value, sym?.key ?? 'symbol')

  const iv = pick(raw, 'interval')
  if (iv === undefined) throw badRequest('interval_invalid', `interval is required; one of ${INTERVAL_LIST}`)
  const interval = parseInterval(String(iv.value), iv.key === 'resolution')
  if (interval === undefined) throw badRequest('interval_invalid', `${iv.key} "${iv.value}" is not a valid interval; one of ${INTERVAL_LIST}`)

  const time = (name: 'from' | 'to'): number | undefined => {
    const p = pick(raw, name)
    if (p === undefined) return undefined
    const ms = parseTimestamp(String(p.value))
    if (ms === undefined) {
      throw badRequest('time_range_invalid', `${p.key} must be epoch seconds or milliseconds (digits only) or an ISO-8601 date or date-time such as 2024-01-01 or 2024-01-01T12:00:00Z (got "${p.value}")`)
    }
    if (!inTimeRange(ms)) throw badRequest('time_range_invalid', `${p.key} is outside the supported range ${TIME_RANGE_TEXT} (got "${p.value}")`)
    return ms
  }
  const from = time('from')
  const to = time('to')
  if (from !== undefined && to !== undefined && from > to) {
    throw badRequest('time_range_invalid', `from (${from}) is after to (${to})`)
  }

  const lp = pick(raw, 'limit')
  let limit = limits.defaultLimit
  if (lp !== undefined) {
    const n = Number(lp.value)
    if (!Number.isInteger(n) || n < 1) {
      throw badRequest('limit_invalid', `${lp.key} must be an integer of at least 1 (got "${lp.value}"); values above ${limits.maxLimit} are clamped`)
    }
    limit = Math.min(n, limits.maxLimit)
  }
  return { symbol, interval, from, to, limit }
}
