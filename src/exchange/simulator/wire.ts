// Binance's JSON shapes: REST kline rows, stream events and error bodies. Pure functions, so the
// exact wire format can be unit-tested without a server.
import type { Kline } from './market.js'

/** [openTime, open, high, low, close, volume, closeTime, quoteVolume, trades, takerBuyBase, takerBuyQuote, ignore] */
export type KlineRow = [number, string, string, string, string, string, number, string, number, string, string, string]

export interface KlinePayload {
  t: number
  T: number
  s: string
  i: string
  f: number
  L: number
  o: string
  c: string
  h: string
  l: string
  v: string
  n: number
  x: boolean
  q: string
  V: string
  Q: string
  B: string
}

export interface KlineEvent {
  e: 'kline'
  E: number
  s: string
  k: KlinePayload
}

export interface ServerShutdownEvent {
  e: 'serverShutdown'
  E: number
}

export interface BinanceErrorBody {
  code: number
  msg: string
}

/** 1 for milliseconds, 1000 when the client asked for MICROSECOND time fields. */
export type TimeScale = 1 | 1000

/** A timeUnit value (any case) as a TimeScale; undefined when it is neither unit Binance knows. */
export function timeUnitScale (unit: string): TimeScale | undefined {
  if (/^microsecond$/i.test(unit)) return 1000
  if (/^millisecond$/i.test(unit)) return 1
  return undefined
}

/** Binance prints every price and quantity with 8 decimals. */
export function decimal (x: number): string {
  return x.toFixed(8)
}

export function klineRow (k: Kline, timeScale: TimeScale = 1): KlineRow {
  const c = k.candle
  return [
    c.ts * timeScale,
    decimal(c.open),
    decimal(c.high),
    decimal(c.low),
    decimal(c.close),
    decimal(c.volume),
    k.closeTime * timeScale + (timeScale - 1),
    decimal(k.quoteVolume),
    k.trades,
    decimal(k.takerBuyBaseVolume),
    decimal(k.takerBuyQuoteVolume),
    '0'
  ]
}

/**
 * A kline stream event as of `eventTime`. `x` is the kline's own completeness: the simulator
 * only builds final events from complete klines and partial ones from the open bucket.
 */
export function klineEvent (k: Kline, eventTime: number, timeScale: TimeScale = 1): KlineEvent {
  const c = k.candle
  return {
    e: 'kline',
    E: eventTime * timeScale,
    s: c.symbol,
    k: {
      t: c.ts * timeScale,
      T: k.closeTime * timeScale + (timeScale - 1),
      s: c.symbol,
      i: c.interval,
      f: k.firstTradeId,
      L: k.lastTradeId,
      o: decimal(c.open),
      c: decimal(c.close),
      h: decimal(c.high),
      l: decimal(c.low),
      v: decimal(c.volume),
      n: k.trades,
      x: k.closed,
      q: decimal(k.quoteVolume),
      V: decimal(k.takerBuyBaseVolume),
      Q: decimal(k.takerBuyQuoteVolume),
      B: '0'
    }
  }
}

export function serverShutdownEvent (eventTime: number, timeScale: TimeScale = 1): ServerShutdownEvent {
  return { e: 'serverShutdown', E: eventTime * timeScale }
}

/** The combined-stream envelope. */
export function combinedMessage<T> (stream: string, data: T): { stream: string, data: T } {
  return { stream, data }
}

export const ERRORS = {
  invalidSymbol: { code: -1121, msg: 'Invalid symbol.' },
  invalidInterval: { code: -1120, msg: 'Invalid interval.' },
  internal: { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' },
  restrictedLocation: {
    code: 0,
    msg: "Service unavailable from a restricted location according to 'b. Eligibility' in https://www.binance.com/en/terms. Please contact customer service if you believe you received this message in error."
  },
  startAfterEnd: { code: -1023, msg: 'Start time is greater than end time.' },
  badCombination: { code: -1128, msg: 'Combination of optional parameters invalid.' }
} as const satisfies Record<string, BinanceErrorBody>

export function mandatoryParam (name: string): BinanceErrorBody {
  return { code: -1102, msg: `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.` }
}

export function invalidParam (name: string): BinanceErrorBody {
  return { code: -1130, msg: `Data sent for parameter '${name}' is not valid.` }
}

export function illegalChars (name: string): BinanceErrorBody {
  return { code: -1100, msg: `Illegal characters found in parameter '${name}'; legal range is '^[0-9]{1,20}$'.` }
}

export function tooMuchWeight (limit: number): BinanceErrorBody {
  return {
    code: -1003,
    msg: `Too much request weight used; current limit is ${limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.`
  }
}

export function ipBanned (untilMs: number): BinanceErrorBody {
  return {
    code: -1003,
    msg: `Way too much request weight used; IP banned until ${untilMs}. Please use WebSocket Streams for live updates to avoid bans.`
  }
}
