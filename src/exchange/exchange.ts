// The exchange seam: ingestion talks to this interface, never to an SDK or a wire format, so the
// simulator, the legacy connector and a future SDK plug in the same way.
import type { Candle } from '../domain/candle.js'
import type { Interval } from '../domain/intervals.js'

/** A kline as the exchange reports it: the bar plus its close time (open + interval - 1). */
export interface ExchangeKline {
  candle: Candle
  closeTime: number
}

export interface KlinePageRequest {
  symbol: string
  interval: Interval
  /** Inclusive bounds on open time (ms). */
  startTime?: number
  endTime?: number
  /** At most 1000 on Binance spot. */
  limit: number
}

export interface SymbolMeta {
  symbol: string
  base: string
  quote: string
  /** e.g. TRADING, HALT, BREAK. */
  status: string
  /** Smallest price step (Binance's PRICE_FILTER tickSize), when the exchange reports one. */
  tickSize?: number
  /** Smallest quantity step (LOT_SIZE stepSize), when reported. */
  stepSize?: number
}

export interface KlineEvent {
  candle: Candle
  /** True on the final update of the bar (Binance's `x`). */
  closed: boolean
  /** Exchange time of the event (ms). */
  eventTime: number
}

export interface StreamKey {
  symbol: string
  interval: Interval
}

export interface KlineStreamHandlers {
  onKline (event: KlineEvent): void
  /** The connection is up (first time and after every reconnect). */
  onOpen (): void
  /** `reason`: why it closed or never opened (e.g. `getaddrinfo ENOTFOUND stream.binance.com`). */
  onClose (info: { code: number, reason: string, host: string, reconnectInMs: number }): void
  /** A message that could not be understood; the connection stays up. */
  onBadMessage (reason: string): void
}

export interface KlineStream {
  readonly state: 'connecting' | 'open' | 'closed'
  readonly reconnectAttempts: number
  /** Closes for good; no reconnect follows. */
  stop (): Promise<void>
}

/**
 * Whether the exchange answers at all, as its clients see every attempt: "never answered" (no
 * route, DNS, firewall) is a different problem from errors the exchange itself returns.
 */
export interface ReachListener {
  /** No answer from `host` (e.g. `api.binance.com`): a network error or a timeout, named by `reason`. */
  unreachable (host: string, reason: string): void
  /** `host` answered: any HTTP response, or an open stream. */
  reached (host: string): void
}

export interface Exchange {
  readonly name: string
  /** Reports every attempt to reach the exchange to `listener`; returns the unsubscribe. */
  watchReach? (listener: ReachListener): () => void
  /** One page of klines, oldest first. May include the still-open bar; check closeTime. */
  klines (req: KlinePageRequest): Promise<ExchangeKline[]>
  exchangeInfo (symbols: readonly string[]): Promise<SymbolMeta[]>
  serverTime (): Promise<number>
  /** One connection carrying every stream; reconnects restore all of them. */
  klineStream (streams: readonly StreamKey[], handlers: KlineStreamHandlers): KlineStream
  close (): Promise<void>
}

/** A failure that retrying will not fix (geo-block, invalid symbol, bad request). */
export class ExchangeFatalError extends Error {
  override name = 'ExchangeFatalError'
  constructor (message: string, readonly status?: number, readonly code?: number) {
    super(message)
  }
}

/** The client gave up after its retries; the caller may try again later. */
export class ExchangeUnavailableError extends Error {
  override name = 'ExchangeUnavailableError'
  /** `host` and `reason` are set when the exchange could not be reached at all. */
  constructor (message: string, readonly host?: string, readonly reason?: string) {
    super(message)
  }
}
