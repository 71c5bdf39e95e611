// The symbols live ingestion serves and their stream state, as the rest of the service sees them.
// Ingestion produces them; the catalogue and UDF routes only read them.
import type { SymbolMeta } from '../exchange/exchange.js'

export interface LiveSymbol {
  symbol: string
  /** True while the symbol's live stream is subscribed. */
  active: boolean
  base?: string
  quote?: string
  /** Exchange price step and quantity step, when the exchange reported them. */
  tickSize?: number
  stepSize?: number
}

/** Symbols configured for live ingestion and their stream state; empty when LIVE is off. */
export interface LiveSymbolSource {
  liveSymbols (): readonly LiveSymbol[]
}

/** A configured symbol with what the exchange said about it (nothing if it could not be asked). */
export function liveSymbol (symbol: string, meta: SymbolMeta | undefined, active: boolean): LiveSymbol {
  return {
    symbol,
    active,
    ...(meta !== undefined ? { base: meta.base, quote: meta.quote } : {}),
    ...(meta?.tickSize !== undefined ? { tickSize: meta.tickSize } : {}),
    ...(meta?.stepSize !== undefined ? { stepSize: meta.stepSize } : {})
  }
}
