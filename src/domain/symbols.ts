// Symbol spelling and base/quote inference. Binance symbols are upper case; clients may send any
// case, so every entry point normalises through here.

const SYMBOL_RE = /^[\p{Lu}\p{N}]{2,40}$/u

/** Upper-cases and checks a symbol; returns undefined when it cannot be a Binance symbol. */
export function normalizeSymbol (raw: string): string | undefined {
  const s = raw.trim().toUpperCase()
  return SYMBOL_RE.test(s) ? s : undefined
}

// Quote assets seen on Binance spot. The longest matching suffix wins, so FDUSD beats USD-like
// shorter names and BTC pairs such as ETHBTC still resolve.
const QUOTE_ASSETS = [
  'FDUSD', 'USDT', 'USDC', 'TUSD', 'BUSD', 'USDP', 'USDS', 'USD1', 'AEUR', 'EURI', 'IDRT', 'BIDR', 'BKRW',
  'DAI', 'PAX', 'UST', 'VAI', 'BTC', 'ETH', 'BNB', 'XRP', 'TRX', 'DOGE', 'DOT', 'SOL',
  'EUR', 'GBP', 'TRY', 'BRL', 'AUD', 'RUB', 'UAH', 'NGN', 'ZAR', 'PLN', 'RON', 'ARS', 'JPY', 'MXN', 'COP', 'CZK'
].sort((a, b) => b.length - a.length)

export interface SymbolParts {
  base?: string
  quote?: string
}

export function splitSymbol (symbol: string): SymbolParts {
  for (const quote of QUOTE_ASSETS) {
    if (symbol.length > quote.length && symbol.endsWith(quote)) {
      return { base: symbol.slice(0, -quote.length), quote }
    }
  }
  return {}
}
