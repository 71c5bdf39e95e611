// Binance REST over the legacy connector, with the discipline the connector lacks: request
// timeouts, a pause shared by every call after 429/418 (honouring Retry-After), slowing down
// before the weight limit is reached, capped exponential back-off on 5xx and network errors,
// and no retry at all for geo-blocks (451) or bad requests.
import { setTimeout as sleep } from 'node:timers/promises'
import { Spot, type ConnectorLogger, type ConnectorResponse } from '@binance/connector'
import { jitteredBackoff } from '../../async/backoff.js'
import type { Interval } from '../../domain/intervals.js'
import type { Log } from '../../log.js'
import { ExchangeFatalError, ExchangeUnavailableError, type ExchangeKline, type ReachListener, type SymbolMeta } from '../exchange.js'
import { WireError, parseKlineRows } from './wire.js'

/** The clock and sleep the pauses run on; real ones unless a test drives them. */
export interface RestTimers {
  now: () => number
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
}

const REAL_TIMERS: RestTimers = {
  now: Date.now,
  sleep: async (ms, signal) => { await sleep(ms, undefined, { signal }) }
}

export interface RestPolicy {
  timeoutMs: number
  /** Attempts for 5xx and network failures before giving up. */
  maxAttempts: number
  backoffBaseMs: number
  backoffMaxMs: number
  /** Waits on 429 before giving up (each honours Retry-After). */
  maxRateLimitWaits: number
  /** Pause when a 429 carries no Retry-After. */
  rateLimitPauseMs: number
  /** Pause when a 418 ban carries no Retry-After (bans last 2 minutes to 3 days). */
  banPauseMs: number
  /** REQUEST_WEIGHT per minute; above highWater of it, calls wait for the next minute. */
  weightLimit: number
  weightHighWater: number
}

export const DEFAULT_REST_POLICY: RestPolicy = {
  timeoutMs: 10_000,
  maxAttempts: 6,
  backoffBaseMs: 1000,
  backoffMaxMs: 30_000,
  maxRateLimitWaits: 10,
  rateLimitPauseMs: 60_000,
  banPauseMs: 5 * 60_000,
  weightLimit: 6000,
  weightHighWater: 0.8
}

interface HttpFailure {
  response?: { status: number, headers: Record<string, string | undefined>, data: unknown }
  code?: string
  message: string
}

function retryAfterMs (headers: Record<string, string | undefined> | undefined): number | undefined {
  const raw = headers?.['retry-after']
  if (raw === undefined) return undefined
  const seconds = Number(raw)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(raw)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

function describeBody (data: unknown): string {
  if (typeof data === 'object' && data !== null && 'msg' in data) {
    const d = data as { code?: unknown, msg?: unknown }
    return `code ${String(d.code)}: ${String(d.msg)}`
  }
  return typeof data === 'string' ? data.slice(0, 200) : ''
}

/** A positive step (a decimal string such as "0.01000000") from one of a symbol's filters. */
function filterStep (filters: unknown, type: string, key: string): number | undefined {
  if (!Array.isArray(filters)) return undefined
  const f = filters.find((x): x is Record<string, unknown> => typeof x === 'object' && x !== null && x.filterType === type)
  const n = Number(f?.[key])
  return Number.isFinite(n) && n > 0 ? n : undefined
}

/** `host[:port]` of a base URL, the name a user recognises in "cannot reach ..." messages. */
export function urlHost (url: string): string {
  try {
    return new URL(url).host
  } catch {
    return url
  }
}

/** A network failure in a few words: the error code (ENOTFOUND, ECONNREFUSED...) or a timeout. */
function networkReason (failure: HttpFailure, timeoutMs: number): string {
  if (failure.code === 'ECONNABORTED' || failure.code === 'ETIMEDOUT') return `no answer within ${timeoutMs} ms`
  return failure.code ?? failure.message
}

/** Routes the connector's console logging into ours, at debug level. */
export function connectorLogger (log: Log): ConnectorLogger {
  const debug = (...args: unknown[]) => log.debug({ connector: args.map(String).join(' ') })
  return { debug, info: debug, log: debug, warn: debug, error: debug }
}

export class BinanceRestClient {
  private readonly spot: Spot
  private readonly policy: RestPolicy
  private readonly abort = new AbortController()
  /** Wall-clock time before which no request is sent (rate limit, ban, weight pressure). */
  pausedUntil = 0
  /** Last X-MBX-USED-WEIGHT-1M seen. */
  usedWeight = 0
  requests = 0
  readonly host: string

  constructor (
    readonly baseUrl: string,
    private readonly log: Log,
    policy: Partial<RestPolicy> = {},
    private readonly reach?: ReachListener,
    private readonly timers: RestTimers = REAL_TIMERS
  ) {
    this.policy = { ...DEFAULT_REST_POLICY, ...policy }
    this.host = urlHost(baseUrl)
    this.spot = new Spot('', '', { baseURL: baseUrl, timeout: this.policy.timeoutMs, logger: connectorLogger(log) })
  }

  close (): void {
    this.abort.abort()
  }

  private async wait (ms: number): Promise<void> {
    if (ms <= 0) return
    try {
      await this.timers.sleep(ms, this.abort.signal)
    } catch {
      throw new ExchangeUnavailableError('the exchange client was closed')
    }
  }

  private backoff (attempt: number): number {
    return jitteredBackoff(attempt, this.policy.backoffBaseMs, this.policy.backoffMaxMs)
  }

  private noteWeight (headers: Record<string, string | undefined>): void {
    const used = Number(headers['x-mbx-used-weight-1m'] ?? headers['x-mbx-used-weight'])
    if (!Number.isFinite(used)) return
    this.usedWeight = used
    if (used >= this.policy.weightLimit * this.policy.weightHighWater) {
      // Binance's weight window is the wall-clock minute; wait for the next one.
      const nextMinute = Math.ceil((this.timers.now() + 1) / 60_000) * 60_000 + 500
      this.pausedUntil = Math.max(this.pausedUntil, nextMinute)
      this.log.warn({ usedWeight: used, limit: this.policy.weightLimit, resumeInMs: nextMinute - this.timers.now() }, 'Binance request weight is high; pausing until the next minute')
    }
  }

  /** Runs one call under the retry policy; `what` names it in logs and errors. */
  async call<T> (what: string, send: () => Promise<ConnectorResponse<T>>): Promise<T> {
    let attempt = 0
    let rateLimitWaits = 0
    for (;;) {
      await this.wait(this.pausedUntil - this.timers.now())
      if (this.abort.signal.aborted) throw new ExchangeUnavailableError('the exchange client was closed')
      attempt++
      this.requests++
      let failure: HttpFailure
      try {
        const res = await send()
        this.reach?.reached(this.host)
        this.noteWeight(res.headers)
        return res.data
      } catch (err) {
        failure = err as HttpFailure
      }
      // Cut off by the close (e.g. the simulator stopping with it): no retry, and no warning of one.
      if (this.abort.signal.aborted) throw new ExchangeUnavailableError('the exchange client was closed')
      const status = failure.response?.status
      const detail = failure.response === undefined ? networkReason(failure, this.policy.timeoutMs) : `HTTP ${status} ${describeBody(failure.response.data)}`
      if (failure.response !== undefined) this.noteWeight(failure.response.headers)
      if (failure.response === undefined) {
        if (!this.abort.signal.aborted) this.reach?.unreachable(this.host, detail)
      } else {
        this.reach?.reached(this.host)
      }

      if (status === 451) {
        throw new ExchangeFatalError(`${what}: Binance refuses this location (HTTP 451, ${describeBody(failure.response?.data)}); use an allowed region or another BINANCE_REST_URL`, 451)
      }
      if (status === 429 || status === 418) {
        if (++rateLimitWaits > this.policy.maxRateLimitWaits) throw new ExchangeUnavailableError(`${what}: still rate limited after ${rateLimitWaits - 1} waits`)
        const told = retryAfterMs(failure.response?.headers)
        const pause = told ?? (status === 418 ? this.policy.banPauseMs : this.policy.rateLimitPauseMs)
        this.pausedUntil = Math.max(this.pausedUntil, this.timers.now() + pause)
        const log = status === 418 ? this.log.error.bind(this.log) : this.log.warn.bind(this.log)
        log({ what, status, retryAfterMs: pause }, status === 418 ? 'Binance banned this IP for exceeding rate limits; waiting for the ban to end' : 'Binance rate limit hit; waiting Retry-After')
        attempt--
        continue
      }
      const retryable = status === undefined || status >= 500
      if (!retryable) {
        const body = failure.response?.data as { code?: number } | undefined
        throw new ExchangeFatalError(`${what}: ${detail}`, status, typeof body?.code === 'number' ? body.code : undefined)
      }
      const unreachable = failure.response === undefined
      if (attempt >= this.policy.maxAttempts) {
        throw new ExchangeUnavailableError(`${what}: gave up after ${attempt} attempts (${this.host}: ${detail})`,
          unreachable ? this.host : undefined, unreachable ? detail : undefined)
      }
      const delay = this.backoff(attempt)
      this.log.warn({ what, host: this.host, attempt, detail, retryInMs: Math.round(delay) }, `Binance request to ${this.host} failed; retrying`)
      await this.wait(delay)
    }
  }

  async klines (symbol: string, interval: Interval, opts: { startTime?: number, endTime?: number, limit: number }): Promise<ExchangeKline[]> {
    const limit = Math.min(1000, Math.max(1, opts.limit))
    const body = await this.call(`klines ${symbol} ${interval}`, () =>
      this.spot.klines(symbol, interval, { startTime: opts.startTime, endTime: opts.endTime, limit }))
    try {
      return parseKlineRows(body, symbol, interval)
    } catch (err) {
      if (err instanceof WireError) throw new ExchangeUnavailableError(`klines ${symbol} ${interval}: malformed response (${err.message})`)
      throw err
    }
  }

  async serverTime (): Promise<number> {
    const body = await this.call('time', () => this.spot.time())
    if (typeof body?.serverTime !== 'number') throw new ExchangeUnavailableError('time: response has no serverTime')
    return body.serverTime
  }

  async exchangeInfo (symbols: readonly string[]): Promise<SymbolMeta[]> {
    const body = await this.call('exchangeInfo', () => this.spot.exchangeInfo(symbols.length > 0 ? { symbols: [...symbols] } : {})) as
      { symbols?: Array<{ symbol?: unknown, baseAsset?: unknown, quoteAsset?: unknown, status?: unknown, filters?: unknown }> } | undefined
    const out: SymbolMeta[] = []
    for (const s of body?.symbols ?? []) {
      if (typeof s.symbol !== 'string') continue
      const tickSize = filterStep(s.filters, 'PRICE_FILTER', 'tickSize')
      const stepSize = filterStep(s.filters, 'LOT_SIZE', 'stepSize')
      out.push({
        symbol: s.symbol,
        base: String(s.baseAsset ?? ''),
        quote: String(s.quoteAsset ?? ''),
        status: String(s.status ?? 'TRADING'),
        ...(tickSize !== undefined ? { tickSize } : {}),
        ...(stepSize !== undefined ? { stepSize } : {})
      })
    }
    return out
  }
}
