// /udf/quotes: last price and 24 h change of each symbol, from the stored candles of its finest
// stored interval (1m for ingested symbols). The service keeps no order book, so no bid or ask.
import { DAY_MS } from '../domain/intervals.js'
import type { CandleStore } from '../store/candle-store.js'
import { parseUdfSymbol, UDF_EXCHANGE, type UdfSymbols } from './udf-symbols.js'
import { UdfError, udfBadRequest } from './udf-error.js'

/** Symbols one quotes request may name; each costs three small reads. */
export const QUOTES_MAX_SYMBOLS = 50

export interface UdfQuoteValues {
  ch: number
  chp: number
  short_name: string
  exchange: string
  description: string
  lp: number
  open_price: number
  high_price: number
  low_price: number
  prev_close_price: number
  volume: number
}

export type UdfQuote =
  | { s: 'ok', n: string, v: UdfQuoteValues }
  | { s: 'error', n: string, v: Record<string, never>, errmsg: string }

export interface UdfQuotes {
  s: 'ok'
  d: UdfQuote[]
}

const round = (x: number, places: number) => Number(x.toFixed(places))

/**
 * The 24 h window is the stored bars opening in (last - 24 h, last], `last` being the newest bar:
 * `lp` is its close, open/high/low/volume are over the window, and the change is against
 * `prev_close_price`, the close of the newest bar opening at or before last - 24 h (the window's
 * first open when the history is shorter than a day).
 */
async function quote (store: CandleStore, symbols: UdfSymbols, name: string): Promise<UdfQuote> {
  try {
    const symbol = parseUdfSymbol(name, 'symbols')
    symbols.requireKnown(symbol)
    const finest = (await store.intervalRanges(symbol)).find((r) => r.native)
    const interval = finest?.interval
    const latest = interval === undefined ? [] : await store.getCandles({ symbol, interval, limit: 1 })
    if (interval === undefined || latest.length === 0) return { s: 'error', n: name, v: {}, errmsg: `no candles stored for ${symbol} yet` }
    const lastTs = latest[0]![0]
    const dayAgo = lastTs - DAY_MS
    const [window, before] = await Promise.all([
      store.getCandles({ symbol, interval, from: dayAgo + 1, to: lastTs, limit: 100_000 }),
      store.getCandles({ symbol, interval, to: dayAgo, limit: 1 })
    ])
    const lp = latest[0]![4]
    const open = window[0]![1]
    const prev = before[0]?.[4] ?? open
    let high = -Infinity
    let low = Infinity
    let volume = 0
    for (const b of window) {
      high = Math.max(high, b[2])
      low = Math.min(low, b[3])
      volume += b[5]
    }
    const ch = lp - prev
    return {
      s: 'ok',
      n: name,
      v: {
        ch: round(ch, 10),
        chp: prev === 0 ? 0 : round(ch / prev * 100, 2),
        short_name: symbol,
        exchange: UDF_EXCHANGE,
        description: symbol,
        lp,
        open_price: open,
        high_price: high,
        low_price: low,
        prev_close_price: prev,
        volume: round(volume, 8)
      }
    }
  } catch (err) {
    if (err instanceof UdfError) return { s: 'error', n: name, v: {}, errmsg: err.message }
    throw err
  }
}

export async function udfQuotes (store: CandleStore, symbols: UdfSymbols, list: string | undefined): Promise<UdfQuotes> {
  const names = (list ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')
  if (names.length === 0) throw udfBadRequest('symbols is required: a comma list such as symbols=BTCUSDT,ETHUSDT')
  if (names.length > QUOTES_MAX_SYMBOLS) throw udfBadRequest(`symbols names ${names.length} symbols; at most ${QUOTES_MAX_SYMBOLS} per request`)
  const unique = [...new Set(names)]
  return { s: 'ok', d: await Promise.all(unique.map((n) => quote(store, symbols, n))) }
}
