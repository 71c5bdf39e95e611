// The HTTP side of the /api/v3 endpoints: the request log, injected delays and failures, request
// weight with its headers and 429s, and the JSON responses. What each endpoint answers is decided
// in rest-api.ts.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SimClock } from './clock.js'
import type { Faults, RestFailure } from './faults.js'
import type { Market } from './market.js'
import { API_ROUTES, runRoute } from './rest-api.js'
import { WeightMeter } from './weight-meter.js'
import { ERRORS, ipBanned, timeUnitScale, tooMuchWeight } from './wire.js'

export interface RestRequestRecord {
  /** Wall-clock ms when the request arrived. */
  at: number
  path: string
  query: Record<string, string>
  status: number
}

export interface RestTransportOptions {
  market: Market
  /** Upper-case symbols the exchange lists. */
  symbols: ReadonlySet<string>
  clock: SimClock
  faults: Faults
  weightLimitPerMinute: number
  /** Wall clock of the weight window and the request log. */
  wallNow: () => number
}

const DEFAULT_BAN_SEC = 120
// Bounds the request log of a long-running simulator; tests never get near it.
const MAX_LOGGED_REQUESTS = 50_000

export class RestTransport {
  /** /api requests in arrival order, the newest MAX_LOGGED_REQUESTS. */
  readonly requests: RestRequestRecord[] = []
  private readonly weights: WeightMeter
  private readonly delays = new Set<NodeJS.Timeout>()

  constructor (private readonly opts: RestTransportOptions) {
    this.weights = new WeightMeter(opts.weightLimitPerMinute, opts.wallNow)
  }

  /** A JSON response carrying the used-weight headers, as every Binance answer does. */
  sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.destroyed || res.writableEnded) return
    const used = String(this.weights.current())
    res.writeHead(status, {
      'content-type': 'application/json;charset=UTF-8',
      'x-mbx-used-weight-1m': used,
      'x-mbx-used-weight': used,
      ...headers
    })
    res.end(JSON.stringify(body))
  }

  async handle (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const { faults, clock, market, symbols, wallNow, weightLimitPerMinute } = this.opts
    const record: RestRequestRecord = { at: wallNow(), path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0 }
    this.requests.push(record)
    if (this.requests.length > MAX_LOGGED_REQUESTS) this.requests.splice(0, this.requests.length - MAX_LOGGED_REQUESTS)
    const respond = (status: number, body: unknown, headers?: Record<string, string>): void => {
      record.status = status
      this.sendJson(res, status, body, headers)
    }
    const delay = faults.restDelay
    if (delay > 0) await this.sleep(delay)
    const failure = faults.takeRestFailure(url.pathname)
    if (failure !== undefined) {
      const { body, headers } = this.failureResponse(failure)
      respond(failure.status, body, headers)
      return
    }
    const route = req.method === 'GET' && Object.hasOwn(API_ROUTES, url.pathname) ? API_ROUTES[url.pathname] : undefined
    if (route === undefined) {
      respond(404, { code: -1, msg: `Unknown endpoint ${req.method ?? ''} ${url.pathname}` })
      return
    }
    if (!this.weights.tryUse(route.weight)) {
      respond(429, tooMuchWeight(weightLimitPerMinute), { 'retry-after': String(this.weights.secondsToNextWindow()) })
      return
    }
    // Unlike the stream's timeUnit parameter, an unknown value of this header is not refused.
    const unit = req.headers['x-mbx-time-unit']
    const timeScale = (typeof unit === 'string' ? timeUnitScale(unit) : undefined) ?? 1
    const result = runRoute(route, url.searchParams, { market, symbols, now: clock.now(), timeScale, weightLimitPerMinute })
    respond(result.status, result.body)
  }

  /** Ends the injected delays still pending, so closing does not wait for them. */
  close (): void {
    for (const timer of this.delays) clearTimeout(timer)
    this.delays.clear()
  }

  private async sleep (ms: number): Promise<void> {
    await new Promise<void>(resolve => {
      const timer = setTimeout(() => { this.delays.delete(timer); resolve() }, ms)
      this.delays.add(timer)
    })
  }

  private failureResponse (failure: RestFailure): { body: unknown, headers: Record<string, string> } {
    const { weightLimitPerMinute, wallNow } = this.opts
    switch (failure.status) {
      case 429: {
        const retryAfter = failure.retryAfterSec ?? this.weights.secondsToNextWindow()
        return { body: tooMuchWeight(weightLimitPerMinute), headers: { 'retry-after': String(retryAfter) } }
      }
      case 418: {
        const retryAfter = failure.retryAfterSec ?? DEFAULT_BAN_SEC
        return { body: ipBanned(wallNow() + retryAfter * 1000), headers: { 'retry-after': String(retryAfter) } }
      }
      case 451:
        return { body: ERRORS.restrictedLocation, headers: {} }
      case 500:
      case 503:
        return { body: ERRORS.internal, headers: {} }
    }
  }
}
