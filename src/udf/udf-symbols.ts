// /udf/config, /udf/symbols and /udf/search: what the Charting Library asks before drawing a symbol.
import { normalizeSymbol, splitSymbol } from '../domain/symbols.js'
import type { LiveSymbol } from '../ingest/live-symbols.js'
import type { MarketData } from '../query/market-data.js'
import type { CandleStore } from '../store/candle-store.js'
import { maxDecimals, priceFormat } from './decimals.js'
import { INTRADAY_RESOLUTIONS, UDF_RESOLUTIONS } from './resolutions.js'
import { UdfError, udfBadRequest } from './udf-error.js'

/** The exchange every symbol is listed under (`BINANCE:BTCUSDT`). */
export const UDF_EXCHANGE = 'BINANCE'

/** Latest base candles whose decimals stand for the symbol's price and volume steps when the exchange gave none. */
const DECIMALS_SAMPLE = 500
/** Search answers at most this many rows whatever `limit` asks. */
export const SEARCH_MAX = 100
const SEARCH_DEFAULT = 30

export interface UdfConfig {
  supported_resolutions: string[]
  supports_search: boolean
  supports_group_request: boolean
  supports_marks: boolean
  supports_timescale_marks: boolean
  supports_time: boolean
  exchanges: Array<{ value: string, name: string, desc: string }>
  symbols_types: Array<{ name: string, value: string }>
}

export interface UdfSymbolInfo {
  name: string
  ticker: string
  full_name: string
  description: string
  type: 'crypto'
  session: '24x7'
  timezone: 'Etc/UTC'
  exchange: string
  listed_exchange: string
  format: 'price'
  minmov: number
  pricescale: number
  has_intraday: true
  has_seconds: false
  has_daily: true
  has_weekly_and_monthly: true
  intraday_multipliers: string[]
  supported_resolutions: string[]
  volume_precision: number
  /** Only for symbols whose live stream is subscribed: their last bar keeps changing. */
  data_status?: 'streaming'
}

export interface UdfSearchRow {
  symbol: string
  full_name: string
  description: string
  exchange: string
  ticker: string
  type: 'crypto'
}

export function udfConfig (): UdfConfig {
  return {
    supported_resolutions: [...UDF_RESOLUTIONS],
    supports_search: true,
    supports_group_request: false,
    supports_marks: false,
    supports_timescale_marks: false,
    supports_time: true,
    exchanges: [{ value: '', name: 'All Exchanges', desc: '' }, { value: UDF_EXCHANGE, name: 'Binance', desc: 'Binance spot' }],
    symbols_types: [{ name: 'All types', value: '' }, { name: 'Crypto', value: 'crypto' }]
  }
}

/** `BTCUSDT`, `btcusdt` or `BINANCE:BTCUSDT` to the stored symbol; UdfError when it cannot be one of ours. */
export function parseUdfSymbol (raw: string | undefined, param = 'symbol'): string {
  if (raw === undefined || raw.trim() === '') throw udfBadRequest(`${param} is required (e.g. ${param}=BTCUSDT)`)
  const colon = raw.indexOf(':')
  if (colon >= 0 && raw.slice(0, colon).trim().toUpperCase() !== UDF_EXCHANGE) {
    throw new UdfError(404, `unknown symbol "${raw}": only ${UDF_EXCHANGE} symbols are served`)
  }
  const symbol = normalizeSymbol(colon >= 0 ? raw.slice(colon + 1) : raw)
  if (symbol === undefined) throw udfBadRequest(`${param} "${raw}" is not a symbol: use letters and digits, e.g. BTCUSDT`)
  return symbol
}

function description (symbol: string, parts: { base?: string, quote?: string }): string {
  return parts.base !== undefined && parts.quote !== undefined ? `${parts.base} / ${parts.quote}` : symbol
}

export class UdfSymbols {
  constructor (private readonly store: CandleStore, private readonly market: MarketData) {}

  requireKnown (symbol: string): void {
    if (!this.market.isKnown(symbol)) {
      throw new UdfError(404, `unknown symbol ${symbol}: GET /udf/search or /api/v1/symbols lists the known symbols`)
    }
  }

  async symbolInfo (raw: string | undefined): Promise<UdfSymbolInfo> {
    const symbol = parseUdfSymbol(raw)
    this.requireKnown(symbol)
    const live = this.market.liveSymbol(symbol)
    const parts = live?.base !== undefined && live.base !== '' ? live : { ...splitSymbol(symbol), ...this.store.symbolParts?.(symbol) }
    const steps = await this.steps(symbol, live)
    return {
      name: symbol,
      ticker: symbol,
      full_name: `${UDF_EXCHANGE}:${symbol}`,
      description: description(symbol, parts),
      type: 'crypto',
      session: '24x7',
      timezone: 'Etc/UTC',
      exchange: UDF_EXCHANGE,
      listed_exchange: UDF_EXCHANGE,
      format: 'price',
      ...steps.price,
      has_intraday: true,
      has_seconds: false,
      has_daily: true,
      has_weekly_and_monthly: true,
      intraday_multipliers: [...INTRADAY_RESOLUTIONS],
      supported_resolutions: [...UDF_RESOLUTIONS],
      volume_precision: steps.volumePrecision,
      ...(live?.active === true ? { data_status: 'streaming' as const } : {})
    }
  }

  /**
   * Price and volume steps: the exchange's tick and lot sizes when it reported them, else the most
   * decimals among the latest stored base candles (2 for prices and 0 for volumes with none stored).
   */
  private async steps (symbol: string, live: LiveSymbol | undefined): Promise<{ price: { pricescale: number, minmov: number }, volumePrecision: number }> {
    let price = live?.tickSize !== undefined ? priceFormat(live.tickSize) : undefined
    let volumePrecision = live?.stepSize !== undefined ? maxDecimals([live.stepSize]) : undefined
    if (price === undefined || volumePrecision === undefined) {
      const sample = await this.sample(symbol)
      price ??= { pricescale: 10 ** (sample.length > 0 ? maxDecimals(sample.flatMap((c) => [c[1], c[2], c[3], c[4]])) : 2), minmov: 1 }
      volumePrecision ??= maxDecimals(sample.map((c) => c[5]))
    }
    return { price, volumePrecision }
  }

  /** The latest candles of the finest interval stored for the symbol (1m for ingested ones). */
  private async sample (symbol: string) {
    const ranges = await this.store.intervalRanges(symbol)
    const finest = ranges.find((r) => r.native)
    if (finest === undefined) return []
    return await this.store.getCandles({ symbol, interval: finest.interval, limit: DECIMALS_SAMPLE })
  }

  search (query: { query?: string, type?: string, exchange?: string, limit?: number }): UdfSearchRow[] {
    const type = query.type?.trim().toLowerCase() ?? ''
    const exchange = query.exchange?.trim().toUpperCase() ?? ''
    if ((type !== '' && type !== 'crypto') || (exchange !== '' && exchange !== UDF_EXCHANGE)) return []
    const limit = Math.min(query.limit ?? SEARCH_DEFAULT, SEARCH_MAX)
    // `BINANCE:BTC` searches for BTC.
    const text = (query.query ?? '').replace(new RegExp(`^${UDF_EXCHANGE}:`, 'i'), '')
    return this.market.symbols({ q: text }).slice(0, limit).map((s) => ({
      symbol: s.symbol,
      full_name: `${UDF_EXCHANGE}:${s.symbol}`,
      description: description(s.symbol, s),
      exchange: UDF_EXCHANGE,
      ticker: s.symbol,
      type: 'crypto'
    }))
  }
}
