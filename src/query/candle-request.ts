// The rules of the candle window parameters once their spellings are folded (candle-params.ts):
// symbol spelling, time units and range, limits, and their errors, each naming the key the client
// sent. Kept apart from the route so the rules are testable on their own and shared by every entry
// point.
import { INTERVALS, isInterval, type Interval } from '../domain/intervals.js'
import { normalizeSymbol } from '../domain/symbols.js'
import { TIME_RANGE_TEXT, inTimeRange, parseTimestamp } from '../domain/time.js'
import { parseBoolean } from '../domain/boolean-words.js'
import type { CandleQuery } from '../store/candle-store.js'
import { ApiError, badRequest } from './api-error.js'
import type { CandleParamKeys } from './candle-params.js'

/** The folded parameters as the route schema leaves them: limits are numbers, times still text. */
export interface CandleParams {
  symbol: string
  interval: Interval
  from?: string
  to?: string
  limit?: number
}

export interface CandleLimits {
  defaultLimit: number
  maxLimit: number
}

export function parseInterval (text: string): Interval | undefined {
  return isInterval(text) ? text : undefined
}

export const INTERVAL_LIST = INTERVALS.join(', ')

function checkSymbol (value: unknown, param: string): string | ApiError {
  if (value === undefined || value === '') return badRequest('symbol_required', `${param} is required (e.g. ${param}=BTCUSDT)`)
  return normalizeSymbol(String(value)) ??
    badRequest('symbol_invalid', `${param} "${String(value)}" is not a symbol: use letters and digits, e.g. BTCUSDT`)
}

function checkInterval (value: unknown, param: string): Interval | ApiError {
  if (value === undefined || value === '') return badRequest('interval_invalid', `interval is required; one of ${INTERVAL_LIST}`)
  return isInterval(value)
    ? value
    : badRequest('interval_invalid', `${param} "${String(value)}" is not a valid interval; one of ${INTERVAL_LIST}`)
}

export function requireSymbol (value: string | number | undefined, param = 'symbol'): string {
  const symbol = checkSymbol(value, param)
  if (symbol instanceof ApiError) throw symbol
  return symbol
}

export function parseFlag (value: string | undefined, param: string): boolean {
  if (value === undefined || value === '') return false
  const b = parseBoolean(value)
  if (b === undefined) throw badRequest('invalid_parameter', `${param} must be true or false (got "${value}")`)
  return b
}

/**
 * Why the route schema refused a folded query's symbol or interval, worded as these parameters
 * have always been answered: the symbol (missing, then malformed) before the interval. Undefined
 * when both are acceptable, i.e. the schema refused something else.
 */
export function refusedCandleParams (query: Readonly<Record<string, unknown>>, keys: CandleParamKeys): ApiError | undefined {
  const symbol = checkSymbol(query.symbol, keys.symbol ?? 'symbol')
  if (symbol instanceof ApiError) return symbol
  const interval = checkInterval(query.interval, keys.interval ?? 'interval')
  return interval instanceof ApiError ? interval : undefined
}

/** Validates and normalises folded candle parameters into a store query; throws ApiError(400). */
export function resolveCandleQuery (params: CandleParams, limits: CandleLimits, keys: CandleParamKeys = {}): CandleQuery {
  const symbol = requireSymbol(params.symbol, keys.symbol)
  const interval = checkInterval(params.interval, keys.interval ?? 'interval')
  if (interval instanceof ApiError) throw interval

  const time = (name: 'from' | 'to'): number | undefined => {
    const text = params[name]
    if (text === undefined || text === '') return undefined
    const key = keys[name] ?? name
    const ms = parseTimestamp(String(text))
    if (ms === undefined) {
      throw badRequest('time_range_invalid', `${key} must be epoch seconds or milliseconds (digits only) or an ISO-8601 date or date-time such as 2024-01-01 or 2024-01-01T12:00:00Z (got "${text}")`)
    }
    if (!inTimeRange(ms)) throw badRequest('time_range_invalid', `${key} is outside the supported range ${TIME_RANGE_TEXT} (got "${text}")`)
    return ms
  }
  const from = time('from')
  const to = time('to')
  if (from !== undefined && to !== undefined && from > to) {
    throw badRequest('time_range_invalid', `from (${from}) is after to (${to})`)
  }

  let limit = limits.defaultLimit
  if (params.limit !== undefined) {
    const n = Number(params.limit)
    if (!Number.isInteger(n) || n < 1) {
      throw badRequest('limit_invalid', `${keys.limit ?? 'limit'} must be an integer of at least 1 (got "${params.limit}"); values above ${limits.maxLimit} are clamped`)
    }
    limit = Math.min(n, limits.maxLimit)
  }
  return { symbol, interval, from, to, limit }
}
