// Exchange failures of a one-shot command in one line: which host, why, and what to try instead.
import { ExchangeFatalError, ExchangeUnavailableError, type Exchange } from '../exchange/exchange.js'
import { CliError, EXIT } from './command.js'

const OFFLINE_HINT = 'check the network and BINANCE_REST_URL, or try it offline with --exchange simulator'

/** The CliError for an exchange failure, or undefined for any other error. */
export function exchangeFailure (err: unknown): CliError | undefined {
  if (err instanceof ExchangeUnavailableError) {
    if (err.host !== undefined) return new CliError(`cannot reach the exchange at ${err.host} (${err.reason ?? 'no answer'}) after several attempts; ${OFFLINE_HINT}`, EXIT.EXCHANGE)
    return new CliError(`the exchange did not serve the request: ${err.message}; run the command again later (it resumes)`, EXIT.EXCHANGE)
  }
  if (err instanceof ExchangeFatalError) return new CliError(`the exchange refused the request: ${err.message}`, EXIT.EXCHANGE)
  return undefined
}

const INVALID_SYMBOL = -1121

function isInvalidSymbol (err: unknown): boolean {
  return err instanceof ExchangeFatalError && err.code === INVALID_SYMBOL
}

/**
 * Fails with one line naming the symbols the exchange does not list (Binance answers -1121
 * "Invalid symbol." for the whole request, so on that answer each symbol is asked alone).
 */
export async function checkListed (exchange: Exchange, symbols: readonly string[]): Promise<void> {
  try {
    await exchange.exchangeInfo(symbols)
    return
  } catch (err) {
    if (!isInvalidSymbol(err)) throw err
  }
  const unknown: string[] = []
  for (const symbol of symbols) {
    try {
      await exchange.exchangeInfo([symbol])
    } catch (err) {
      if (!isInvalidSymbol(err)) throw err
      unknown.push(symbol)
    }
  }
  const names = unknown.length > 0 ? unknown.join(', ') : symbols.join(', ')
  throw new CliError(`the exchange does not list ${names} (Binance error ${INVALID_SYMBOL} Invalid symbol.); check --symbols`, EXIT.EXCHANGE)
}
