// The TradingView UDF datafeed without HTTP: what each /udf endpoint answers.
import type { MarketData } from '../query/market-data.js'
import type { CandleStore } from '../store/candle-store.js'
import { udfHistory, type UdfHistory, type UdfHistoryRequest } from './udf-history.js'
import { udfQuotes, type UdfQuotes } from './udf-quotes.js'
import { UdfSymbols, parseUdfSymbol, udfConfig, type UdfConfig, type UdfSearchRow, type UdfSymbolInfo } from './udf-symbols.js'

export interface UdfFeedOptions {
  /** Most bars one history answer holds (HTTP_MAX_LIMIT). */
  maxBars: number
  /** Server time in ms (tests pin it). */
  now?: () => number
}

export class UdfFeed {
  private readonly symbols: UdfSymbols
  private readonly now: () => number

  constructor (private readonly store: CandleStore, private readonly market: MarketData, private readonly opts: UdfFeedOptions) {
    this.symbols = new UdfSymbols(store, market)
    this.now = opts.now ?? Date.now
  }

  config (): UdfConfig {
    return udfConfig()
  }

  symbolInfo (symbol: string | undefined): Promise<UdfSymbolInfo> {
    return this.symbols.symbolInfo(symbol)
  }

  search (query: { query?: string, type?: string, exchange?: string, limit?: number }): UdfSearchRow[] {
    return this.symbols.search(query)
  }

  /** Unix seconds, whole. */
  time (): number {
    return Math.floor(this.now() / 1000)
  }

  quotes (symbols: string | undefined): Promise<UdfQuotes> {
    return udfQuotes(this.store, this.symbols, symbols)
  }

  /** `signal` aborts when nobody waits for the answer; reads also stop at the query timeout (503). */
  history (req: Omit<UdfHistoryRequest, 'symbol'> & { symbol?: string }, signal?: AbortSignal): Promise<UdfHistory> {
    const symbol = parseUdfSymbol(req.symbol)
    this.symbols.requireKnown(symbol)
    return udfHistory((q) => this.market.readCandles(q, signal), symbol, { ...req, symbol }, this.opts.maxBars)
  }
}
