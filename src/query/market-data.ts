// What the REST routes serve, without HTTP: candle bodies (with the latest-N cache), the symbol
// catalogue and per-symbol intervals.
import { INTERVALS, type Interval } from '../domain/intervals.js'
import { splitSymbol } from '../domain/symbols.js'
import type { CandleTuple } from '../domain/candle.js'
import type { LiveSymbol, LiveSymbolSource } from '../ingest/live-symbols.js'
import type { CandleQuery, CandleStore } from '../store/candle-store.js'
import { ApiError, notFound } from './api-error.js'
import { candlesJson } from './candles-json.js'
import { resolveCandleQuery, type CandleLimits, type CandleParams } from './candle-request.js'
import type { CandleParamKeys } from './candle-params.js'
import { LatestBodyCache } from './latest-cache.js'

export interface SymbolInfo {
  symbol: string
  base?: string
  quote?: string
  status: 'active' | 'inactive'
}

export interface IntervalInfo {
  name: Interval
  from?: number
  to?: number
}

export interface MarketDataOptions {
  limits: CandleLimits
  live?: LiveSymbolSource
  /** Byte budget of the latest-N body cache (0: no cache); LATEST_CACHE_MAX_BYTES's 32 MiB by default. */
  cacheMaxBytes?: number
  /** Longest a candle read may take (HTTP_QUERY_TIMEOUT_MS); past it the query is interrupted. */
  queryTimeoutMs?: number
}

const DEFAULT_QUERY_TIMEOUT_MS = 30_000

const NO_LIVE: LiveSymbolSource = { liveSymbols: () => [] }

export class MarketData {
  readonly cache: LatestBodyCache
  private readonly live: LiveSymbolSource

  constructor (private readonly store: CandleStore, private readonly opts: MarketDataOptions) {
    this.cache = new LatestBodyCache(opts.cacheMaxBytes ?? 32 * 1024 * 1024)
    this.live = opts.live ?? NO_LIVE
    store.onWrite((symbols) => {
      for (const s of symbols) this.cache.invalidate(s)
    })
  }

  liveSymbol (symbol: string): LiveSymbol | undefined {
    return this.live.liveSymbols().find((l) => l.symbol === symbol)
  }

  isKnown (symbol: string): boolean {
    return this.store.hasSymbol(symbol) || this.liveSymbol(symbol) !== undefined
  }

  requireKnown (symbol: string): void {
    if (!this.isKnown(symbol)) {
      throw notFound('symbol_not_found', `symbol ${symbol} is not stored or ingested here; GET /api/v1/symbols lists the known symbols`)
    }
  }

  /**
   * The JSON body (UTF-8) of a candles request: `{symbol, interval, data: [[ts,o,h,l,c,v],...]}`.
   * `keys` names the spelling each parameter was sent as, for the error messages.
   * `signal` aborts when nobody waits for the answer any more (the client left); the read also
   * stops at the query timeout, answered as a 503 query_timeout.
   */
  async candlesBody (params: CandleParams, keys: CandleParamKeys, signal?: AbortSignal): Promise<Buffer> {
    const q = resolveCandleQuery(params, this.opts.limits, keys)
    this.requireKnown(q.symbol)
    const latest = q.from === undefined && q.to === undefined
    const key = latest ? LatestBodyCache.key(q.symbol, q.interval, q.limit) : undefined
    if (key !== undefined) {
      const hit = this.cache.get(key)
      if (hit !== undefined) return hit
    }
    const version = this.cache.version(q.symbol)
    const data = await this.readCandles(q, signal)
    const body = candlesJson(q.symbol, q.interval, data)
    if (key !== undefined) this.cache.set(q.symbol, key, version, body)
    return body
  }

  /** One store read under the query timeout (503 query_timeout past it), stopped when `signal` aborts. */
  async readCandles (q: CandleQuery, signal: AbortSignal | undefined): Promise<CandleTuple[]> {
    const timeoutMs = this.opts.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS
    const deadline = AbortSignal.timeout(timeoutMs)
    try {
      return await this.store.getCandles(q, signal === undefined ? deadline : AbortSignal.any([deadline, signal]))
    } catch (err) {
      if (deadline.aborted && err === deadline.reason) {
        throw new ApiError(503, 'query_timeout', `the candle query took longer than ${timeoutMs} ms (HTTP_QUERY_TIMEOUT_MS) and was stopped; ask for a narrower from/to or a smaller limit, or retry later`)
      }
      throw err
    }
  }

  /** Every stored or live symbol, sorted; `q` filters by substring of symbol, base or quote. */
  symbols (filter: { q?: string, activeOnly?: boolean } = {}): SymbolInfo[] {
    const out = new Map<string, SymbolInfo>()
    for (const symbol of this.store.listSymbols()) {
      out.set(symbol, { symbol, ...splitSymbol(symbol), ...this.store.symbolParts?.(symbol), status: 'inactive' })
    }
    for (const l of this.live.liveSymbols()) {
      const parts = l.base !== undefined && l.quote !== undefined ? { base: l.base, quote: l.quote } : splitSymbol(l.symbol)
      out.set(l.symbol, { symbol: l.symbol, ...parts, status: l.active ? 'active' : 'inactive' })
    }
    const needle = filter.q?.trim().toUpperCase()
    return [...out.values()]
      .filter((s) => filter.activeOnly !== true || s.status === 'active')
      .filter((s) => needle === undefined || needle === '' || [s.symbol, s.base, s.quote].some((v) => v?.includes(needle)))
      .sort((a, b) => a.symbol.localeCompare(b.symbol))
  }

  /** Intervals servable for a symbol, with their stored time ranges when `withRanges`. */
  async intervals (symbol: string): Promise<IntervalInfo[]> {
    this.requireKnown(symbol)
    const ranges = await this.store.intervalRanges(symbol)
    if (ranges.length === 0) {
      // A live symbol whose first candle has not landed yet: every interval will be served.
      return INTERVALS.map((name) => ({ name }))
    }
    return ranges.map((r) => ({ name: r.interval, from: r.first, to: r.last }))
  }
}
