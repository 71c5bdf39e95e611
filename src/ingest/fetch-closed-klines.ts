// The one way ingestion reads history from the exchange's REST API: pages of 1000 klines, only bars
// already closed at the exchange's time, every candle validated. Catch-up, hole repair and
// backfill all go through it.
import { candleDefect, type Candle } from '../domain/candle.js'
import { addBuckets, type Interval } from '../domain/intervals.js'
import type { Exchange, ExchangeKline } from '../exchange/exchange.js'
import type { Log } from '../log.js'

/** Binance's largest kline page. */
export const KLINE_PAGE = 1000

export interface ClosedKlinesRequest {
  symbol: string
  interval: Interval
  /** Inclusive bounds on open time. */
  from: number
  to: number
  /** The exchange's current time: a bar whose close time is not before it is still forming. */
  serverTime: number
  log: Log
  /** Stops paging; a page still on its way is dropped rather than waited for. */
  signal?: AbortSignal
}

export interface ClosedKlinePage {
  /** The valid closed candles of the page, oldest first. */
  candles: Candle[]
  /** Klines the exchange sent in this page, forming and rejected ones included. */
  received: number
  /** Klines dropped as invalid (each logged). */
  rejected: number
}

/**
 * Pages through [from, to]. The next page is requested as soon as one arrives, so the caller's
 * work on a page (storing it) overlaps the fetching of the following one.
 */
export async function * fetchClosedKlines (exchange: Exchange, req: ClosedKlinesRequest): AsyncGenerator<ClosedKlinePage> {
  const { symbol, interval, to, signal } = req
  const request = (startTime: number): Promise<ExchangeKline[]> => {
    const page = exchange.klines({ symbol, interval, startTime, endTime: to, limit: KLINE_PAGE })
    // Awaited below unless the caller stops first; this keeps an abandoned failure from going unhandled.
    page.catch(() => {})
    return page
  }
  let next = req.from <= to && signal?.aborted !== true ? request(req.from) : undefined
  while (next !== undefined) {
    const page = await unlessAborted(next, signal)
    next = undefined
    if (page === undefined) return
    if (page.length === KLINE_PAGE) {
      const after = addBuckets(interval, page[page.length - 1]!.candle.ts, 1)
      if (after <= to && signal?.aborted !== true) next = request(after)
    }
    yield closedCandles(page, req)
  }
}

function closedCandles (page: readonly ExchangeKline[], req: ClosedKlinesRequest): ClosedKlinePage {
  const out: ClosedKlinePage = { candles: [], received: page.length, rejected: 0 }
  for (const k of page) {
    if (k.closeTime >= req.serverTime) continue
    const defect = candleDefect(k.candle)
    if (defect === undefined) {
      out.candles.push(k.candle)
      continue
    }
    out.rejected++
    req.log.warn({ symbol: req.symbol, interval: req.interval, ts: k.candle.ts, defect }, 'rejected an invalid kline from REST')
  }
  return out
}

/** `promise`'s value, or undefined as soon as `signal` aborts (without leaving a listener behind). */
async function unlessAborted<T> (promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (signal === undefined) return await promise
  if (signal.aborted) return undefined
  let onAbort!: () => void
  const aborted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined)
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
