// The /api/v3 market-data endpoints: parameter validation with Binance's error codes, and the
// responses. Transport concerns (weights, faults, delays, headers) live in rest-transport.ts.
import { isInterval } from '../../domain/intervals.js'
import { splitSymbol } from '../../domain/symbols.js'
import type { Market } from './market.js'
import { symbolModel } from './price-model.js'
import {
  ERRORS, decimal, illegalChars, invalidParam, klineRow, mandatoryParam, type BinanceErrorBody, type TimeScale
} from './wire.js'

export interface ApiContext {
  market: Market
  /** Upper-case symbols the exchange lists. */
  symbols: ReadonlySet<string>
  now: number
  timeScale: TimeScale
  weightLimitPerMinute: number
}

export interface ApiResult {
  status: number
  body: unknown
}

export interface ApiRoute {
  weight: number
  handle: (query: URLSearchParams, ctx: ApiContext) => ApiResult
}

const KLINES_MAX_LIMIT = 1000
const KLINES_DEFAULT_LIMIT = 500
// A 16-digit epoch value is microseconds (Binance accepts both since 2024-12).
const MICROS_DIGITS = 16

class ParamError extends Error {
  constructor (readonly body: BinanceErrorBody) {
    super(body.msg)
  }
}

function ok (body: unknown): ApiResult {
  return { status: 200, body }
}

function nonEmpty (query: URLSearchParams, name: string): string | undefined {
  const v = query.get(name)
  return v === null || v === '' ? undefined : v
}

function epochParam (query: URLSearchParams, name: string): number | undefined {
  const raw = nonEmpty(query, name)
  if (raw === undefined) return undefined
  if (!/^\d{1,20}$/.test(raw)) throw new ParamError(illegalChars(name))
  const n = Number(raw)
  return raw.length >= MICROS_DIGITS ? Math.floor(n / 1000) : n
}

function limitParam (query: URLSearchParams): number {
  const raw = nonEmpty(query, 'limit')
  if (raw === undefined) return KLINES_DEFAULT_LIMIT
  if (!/^-?\d{1,20}$/.test(raw)) throw new ParamError(illegalChars('limit'))
  const n = Number(raw)
  if (n < 1 || n > KLINES_MAX_LIMIT) throw new ParamError(invalidParam('limit'))
  return n
}

// Only UTC is simulated; an offset that is zero in any spelling is still UTC.
function checkTimeZone (query: URLSearchParams): void {
  const raw = query.get('timeZone')
  if (raw === null) return
  if (!/^[+-]?0{1,2}(:00)?$/.test(raw)) throw new ParamError(invalidParam('timeZone'))
}

function klines (query: URLSearchParams, ctx: ApiContext): ApiResult {
  const rawSymbol = nonEmpty(query, 'symbol')
  if (rawSymbol === undefined) throw new ParamError(mandatoryParam('symbol'))
  const interval = nonEmpty(query, 'interval')
  if (interval === undefined) throw new ParamError(mandatoryParam('interval'))
  const symbol = rawSymbol.toUpperCase()
  if (!ctx.symbols.has(symbol)) throw new ParamError(ERRORS.invalidSymbol)
  if (!isInterval(interval)) throw new ParamError(ERRORS.invalidInterval)
  const startTime = epochParam(query, 'startTime')
  const endTime = epochParam(query, 'endTime')
  const limit = limitParam(query)
  checkTimeZone(query)
  if (startTime !== undefined && endTime !== undefined && startTime > endTime) throw new ParamError(ERRORS.startAfterEnd)
  const rows = ctx.market.klines(symbol, interval, { startTime, endTime, limit }, ctx.now).map(k => klineRow(k, ctx.timeScale))
  return ok(rows)
}

function parseSymbolList (raw: string): string[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw new ParamError({ code: -1100, msg: "Illegal characters found in parameter 'symbols'; legal range is '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'." })
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((s): s is string => typeof s === 'string')) {
    throw new ParamError(invalidParam('symbols'))
  }
  return parsed
}

function symbolInfo (symbol: string, market: Market): Record<string, unknown> {
  const { base, quote } = splitSymbol(symbol)
  const model = symbolModel(symbol, market.seed)
  const tick = decimal(10 ** -model.priceDecimals)
  const step = decimal(10 ** -model.volumeDecimals)
  return {
    symbol,
    status: 'TRADING',
    baseAsset: base ?? symbol,
    baseAssetPrecision: 8,
    quoteAsset: quote ?? '',
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    orderTypes: ['LIMIT', 'MARKET'],
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    permissions: ['SPOT'],
    permissionSets: [['SPOT']],
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: tick, maxPrice: decimal(1_000_000), tickSize: tick },
      { filterType: 'LOT_SIZE', minQty: step, maxQty: decimal(9_000_000), stepSize: step }
    ]
  }
}

function exchangeInfo (query: URLSearchParams, ctx: ApiContext): ApiResult {
  const one = nonEmpty(query, 'symbol')
  const many = nonEmpty(query, 'symbols')
  if (one !== undefined && many !== undefined) throw new ParamError(ERRORS.badCombination)
  let selected = [...ctx.symbols]
  if (one !== undefined || many !== undefined) {
    selected = (one !== undefined ? [one] : parseSymbolList(many ?? '')).map(s => s.toUpperCase())
    if (!selected.every(s => ctx.symbols.has(s))) throw new ParamError(ERRORS.invalidSymbol)
  }
  return ok({
    timezone: 'UTC',
    serverTime: ctx.now * ctx.timeScale,
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: ctx.weightLimitPerMinute },
      { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 }
    ],
    exchangeFilters: [],
    symbols: selected.map(s => symbolInfo(s, ctx.market))
  })
}

export const API_ROUTES: Readonly<Record<string, ApiRoute>> = {
  '/api/v3/ping': { weight: 1, handle: () => ok({}) },
  '/api/v3/time': { weight: 1, handle: (_q, ctx) => ok({ serverTime: ctx.now * ctx.timeScale }) },
  '/api/v3/exchangeInfo': { weight: 20, handle: exchangeInfo },
  '/api/v3/klines': { weight: 2, handle: klines },
  // Same rows as klines on Binance for the simulated data (UI tweaks only affect real trades).
  '/api/v3/uiKlines': { weight: 2, handle: klines }
}

/** Runs a route, turning parameter errors into Binance's 400 responses. */
export function runRoute (route: ApiRoute, query: URLSearchParams, ctx: ApiContext): ApiResult {
  try {
    return route.handle(query, ctx)
  } catch (error) {
    if (error instanceof ParamError) return { status: 400, body: error.body }
    throw error
  }
}
