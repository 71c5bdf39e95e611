// A Binance-compatible spot market-data server on one port: the REST endpoints under /api/v3, the
// raw and combined kline streams, fault injection, and a small /sim admin API so tests running in
// another process can move a ManualClock or switch faults on.
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import type { Interval } from '../../domain/intervals.js'
import type { Candle } from '../../domain/candle.js'
import { ManualClock, RealClock, type SimClock } from './clock.js'
import { Faults, type RestFailure } from './faults.js'
import { Market, type GapSpec } from './market.js'
import { API_ROUTES, runRoute } from './rest-api.js'
import { StreamHub, parseStreamUrl } from './stream-hub.js'
import { ERRORS, ipBanned, tooMuchWeight, type TimeScale } from './wire.js'

export { ManualClock, RealClock, type RealClockOptions, type SimClock, type TickListener } from './clock.js'
export { Faults, type RestFailureSpec, type RestFailureStatus } from './faults.js'
export { DEFAULT_LISTED_AT, Market, groundTruth, type GapSpec, type Kline, type MarketOptions } from './market.js'
export { parseStreamName, parseStreamUrl, type StreamTarget } from './stream-hub.js'
export {
  combinedMessage, klineEvent, klineRow, serverShutdownEvent,
  type KlineEvent, type KlinePayload, type KlineRow, type ServerShutdownEvent, type TimeScale
} from './wire.js'

export const DEFAULT_SYMBOLS: readonly string[] = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT', 'XRPUSDT']

export interface SimulatorOptions {
  host?: string
  port?: number
  clock?: SimClock
  seed?: number
  symbols?: readonly string[]
  /** Epoch ms before which a symbol has no klines; symbols missing from a record use the default (2017-08-17). */
  listedAt?: number | Readonly<Record<string, number>>
  /** Minutes with open time in [from, to) that never exist, like exchange maintenance holes. */
  gaps?: readonly GapSpec[]
  /** Sim-time cadence of partial (x:false) kline events per stream. */
  partialEveryMs?: number
  weightLimitPerMinute?: number
  /** Wall ms between server ping frames. */
  pingIntervalMs?: number
  /** Wall ms a client may leave a ping unanswered before it is terminated. */
  pongTimeoutMs?: number
  /**
   * Wall clock for the per-minute request-weight window (default Date.now). Tests inject one so
   * weight limits are not at the mercy of a real minute boundary.
   */
  wallNow?: () => number
}

export interface RestRequestRecord {
  /** Wall-clock ms when the request arrived. */
  at: number
  path: string
  query: Record<string, string>
  status: number
}

export interface Simulator {
  /** http://host:port, no trailing slash. */
  restUrl: string
  /** ws://host:port; append /ws/<stream> or /stream?streams=... */
  wsUrl: string
  port: number
  clock: SimClock
  faults: Faults
  /** /api requests in arrival order, the newest 50,000 (the /sim admin API is not logged). */
  requests: RestRequestRecord[]
  /** Number of open stream connections. */
  connections: () => number
  /** The candles this simulator has closed by now with open time in [from, to). */
  groundTruth: (symbol: string, interval: Interval, from: number, to: number) => Candle[]
  close: () => Promise<void>
}

const WEIGHT_WINDOW_MS = 60_000
const DEFAULT_BAN_SEC = 120
const MAX_ADMIN_BODY = 64 * 1024
// Bounds the request log of a long-running simulator; tests never get near it.
const MAX_LOGGED_REQUESTS = 50_000

// Binance counts weight per IP per calendar minute; the simulator has one client population.
class WeightMeter {
  private window = Number.NaN
  private used = 0

  constructor (private readonly limit: number, private readonly wallNow: () => number) {}

  private roll (): void {
    const window = Math.floor(this.wallNow() / WEIGHT_WINDOW_MS)
    if (window !== this.window) {
      this.window = window
      this.used = 0
    }
  }

  current (): number {
    this.roll()
    return this.used
  }

  /** Adds `weight` unless that would pass the limit (rejected requests are not counted). */
  tryUse (weight: number): boolean {
    this.roll()
    if (this.used + weight > this.limit) return false
    this.used += weight
    return true
  }

  secondsToNextWindow (): number {
    const now = this.wallNow()
    return Math.max(1, Math.ceil(((Math.floor(now / WEIGHT_WINDOW_MS) + 1) * WEIGHT_WINDOW_MS - now) / 1000))
  }
}

function urlHost (host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}

function positive (name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a positive number, got ${value}`)
  return value
}

async function readBody (req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > MAX_ADMIN_BODY) throw new RangeError('request body too large')
    chunks.push(buf)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export async function startSimulator (opts: SimulatorOptions = {}): Promise<Simulator> {
  const host = opts.host ?? '127.0.0.1'
  const partialEveryMs = positive('partialEveryMs', opts.partialEveryMs ?? 2000)
  const pingIntervalMs = positive('pingIntervalMs', opts.pingIntervalMs ?? 20_000)
  const pongTimeoutMs = positive('pongTimeoutMs', opts.pongTimeoutMs ?? 60_000)
  const weightLimit = positive('weightLimitPerMinute', opts.weightLimitPerMinute ?? 6000)
  const clock = opts.clock ?? new RealClock()
  const ownsClock = opts.clock === undefined
  const wallNow = opts.wallNow ?? Date.now
  const symbols: ReadonlySet<string> = new Set((opts.symbols ?? DEFAULT_SYMBOLS).map(s => s.toUpperCase()))
  const market = new Market({
    seed: opts.seed ?? 1,
    ...(opts.listedAt === undefined ? {} : { listedAt: opts.listedAt }),
    ...(opts.gaps === undefined ? {} : { gaps: opts.gaps })
  })
  const weights = new WeightMeter(weightLimit, wallNow)
  const requests: RestRequestRecord[] = []
  const delays = new Set<NodeJS.Timeout>()
  let closing: Promise<void> | undefined

  // Faults and the hub need each other; the hooks only run after both exist.
  const faults = new Faults({
    dropStreams: code => { streams.dropAll(code) },
    shutdownNotice: () => { streams.shutdownNotice() }
  })
  const streams = new StreamHub({
    clock,
    market,
    faults,
    symbols,
    partialEveryMs,
    pingIntervalMs,
    pongTimeoutMs
  })

  function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.destroyed || res.writableEnded) return
    const used = String(weights.current())
    res.writeHead(status, {
      'content-type': 'application/json;charset=UTF-8',
      'x-mbx-used-weight-1m': used,
      'x-mbx-used-weight': used,
      ...headers
    })
    res.end(JSON.stringify(body))
  }

  async function sleep (ms: number): Promise<void> {
    await new Promise<void>(resolve => {
      const timer = setTimeout(() => { delays.delete(timer); resolve() }, ms)
      delays.add(timer)
    })
  }

  function failureResponse (failure: RestFailure): { body: unknown, headers: Record<string, string> } {
    switch (failure.status) {
      case 429: {
        const retryAfter = failure.retryAfterSec ?? weights.secondsToNextWindow()
        return { body: tooMuchWeight(weightLimit), headers: { 'retry-after': String(retryAfter) } }
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

  async function handleApi (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const record: RestRequestRecord = { at: wallNow(), path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0 }
    requests.push(record)
    if (requests.length > MAX_LOGGED_REQUESTS) requests.splice(0, requests.length - MAX_LOGGED_REQUESTS)
    const respond = (status: number, body: unknown, headers?: Record<string, string>): void => {
      record.status = status
      sendJson(res, status, body, headers)
    }
    const delay = faults.restDelay
    if (delay > 0) await sleep(delay)
    const failure = faults.takeRestFailure(url.pathname)
    if (failure !== undefined) {
      const { body, headers } = failureResponse(failure)
      respond(failure.status, body, headers)
      return
    }
    const route = req.method === 'GET' && Object.hasOwn(API_ROUTES, url.pathname) ? API_ROUTES[url.pathname] : undefined
    if (route === undefined) {
      respond(404, { code: -1, msg: `Unknown endpoint ${req.method ?? ''} ${url.pathname}` })
      return
    }
    if (!weights.tryUse(route.weight)) {
      respond(429, tooMuchWeight(weightLimit), { 'retry-after': String(weights.secondsToNextWindow()) })
      return
    }
    const unit = req.headers['x-mbx-time-unit']
    const timeScale: TimeScale = typeof unit === 'string' && /^microsecond$/i.test(unit) ? 1000 : 1
    const result = runRoute(route, url.searchParams, { market, symbols, now: clock.now(), timeScale, weightLimitPerMinute: weightLimit })
    respond(result.status, result.body)
  }

  async function handleAdmin (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method ?? ''} ${url.pathname}`
    if (route === 'GET /sim/clock') {
      sendJson(res, 200, { now: clock.now() })
    } else if (route === 'POST /sim/clock/advance') {
      if (!(clock instanceof ManualClock)) {
        sendJson(res, 409, { code: -1, msg: 'The simulator clock is not a ManualClock.' })
        return
      }
      const ms = Number(url.searchParams.get('ms'))
      if (!Number.isFinite(ms) || ms < 0) {
        sendJson(res, 400, { code: -1, msg: "Parameter 'ms' must be a non-negative number." })
        return
      }
      sendJson(res, 200, { now: clock.advance(ms) })
    } else if (route === 'POST /sim/faults') {
      try {
        const text = await readBody(req)
        faults.apply(text.trim() === '' ? {} : JSON.parse(text))
      } catch (error) {
        sendJson(res, 400, { code: -1, msg: (error as Error).message })
        return
      }
      sendJson(res, 200, { ok: true })
    } else {
      sendJson(res, 404, { code: -1, msg: `Unknown endpoint ${route}` })
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid')
    const work = url.pathname.startsWith('/sim/') ? handleAdmin(req, res, url) : handleApi(req, res, url)
    work.catch((error: unknown) => {
      sendJson(res, 500, { code: -1001, msg: `Internal error; ${(error as Error).message}` })
    })
  })

  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => { socket.destroy() })
    const parsed = parseStreamUrl(req.url ?? '/')
    if (!parsed.ok || closing !== undefined) {
      const status = parsed.ok ? 503 : parsed.status
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      return
    }
    wss.handleUpgrade(req, socket, head, ws => { streams.accept(ws, parsed.target) })
  })

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (error) {
    streams.close()
    if (ownsClock) clock.close()
    throw error
  }
  const port = (server.address() as AddressInfo).port
  const hostPort = `${urlHost(host)}:${port}`

  async function close (): Promise<void> {
    streams.close()
    wss.close()
    for (const timer of delays) clearTimeout(timer)
    delays.clear()
    const closed = new Promise<void>(resolve => { server.close(() => { resolve() }) })
    server.closeAllConnections()
    await closed
    if (ownsClock) clock.close()
  }

  return {
    restUrl: `http://${hostPort}`,
    wsUrl: `ws://${hostPort}`,
    port,
    clock,
    faults,
    requests,
    connections: () => streams.size,
    groundTruth: (symbol, interval, from, to) => {
      const now = clock.now()
      return market.closedKlines(symbol.toUpperCase(), interval, from, to).filter(k => k.closeTime < now).map(k => k.candle)
    },
    close: async () => {
      closing ??= close()
      await closing
    }
  }
}
