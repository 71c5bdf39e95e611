// Which configured symbols the exchange lists, and their base, quote and steps.
import { ExchangeFatalError, type Exchange, type SymbolMeta } from '../exchange/exchange.js'
import type { Log } from '../log.js'

/** The exchange refuses this service (HTTP 451, a restricted location): retrying cannot help. */
export function isRefusal (err: unknown): err is ExchangeFatalError {
  return err instanceof ExchangeFatalError && err.status === 451
}

export interface SymbolLookup {
  known: Map<string, SymbolMeta>
  /** Configured symbols the exchange does not list (each logged). */
  unknown: string[]
}

/**
 * Asks the exchange about `wanted`. Undefined when it cannot answer now (the symbols are then
 * streamed unchecked); a refusal is thrown.
 */
export async function lookUpSymbols (exchange: Exchange, wanted: readonly string[], log: Log): Promise<SymbolLookup | undefined> {
  let metas: SymbolMeta[]
  try {
    metas = await exchange.exchangeInfo(wanted)
  } catch (err) {
    if (isRefusal(err)) throw err
    if (!(err instanceof ExchangeFatalError)) {
      log.warn({ err }, 'exchange info unavailable; streaming the configured symbols unchecked')
      return undefined
    }
    // One unknown symbol fails the whole request; ask one by one to find it.
    metas = []
    for (const symbol of wanted) {
      try {
        metas.push(...await exchange.exchangeInfo([symbol]))
      } catch (e) {
        if (!(e instanceof ExchangeFatalError)) throw e
      }
    }
  }
  const known = new Map(metas.map((m) => [m.symbol, m]))
  const unknown = wanted.filter((symbol) => !known.has(symbol))
  for (const symbol of unknown) log.error({ symbol }, 'symbol is not listed on the exchange; it will not be ingested')
  return { known, unknown }
}
