// A Binance-compatible spot market-data server on one port: the REST endpoints under /api/v3, the
// raw and combined kline streams, fault injection, and a small /sim admin API so tests running in
// another process can move a ManualClock or switch faults on.
import { createServer, STATUS_CODES } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import type { Interval } from '../../domain/intervals.js'
import type { Candle } from '../../domain/candle.js'
import { handleAdmin } from './admin-api.js'
import { RealClock, type SimClock } from './clock.js'
import { Faults } from './faults.js'
import { Market } from './market.js'
import type { GapSpec } from './minute-calendar.js'
import { RestTransport, type RestRequestRecord } from './rest-transport.js'
import { StreamHub } from './stream-hub.js'
import { parseStreamUrl } from './stream-url.js'

export { ManualClock, RealClock, tickMsForSpeed, type RealClockOptions, type SimClock, type TickListener } from './clock.js'
export { Faults, type RestFailureSpec, type RestFailureStatus } from './faults.js'
export { groundTruth } from './ground-truth.js'
export { Market, type Kline, type MarketOptions } from './market.js'
export { DEFAULT_LISTED_AT, type GapSpec } from './minute-calendar.js'
export type { RestRequestRecord } from './rest-transport.js'
export { parseStreamName, parseStreamUrl, type StreamTarget } from './stream-url.js'
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

function urlHost (host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}

function positive (name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a positive number, got ${value}`)
  return value
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
  const rest = new RestTransport({ market, symbols, clock, faults, weightLimitPerMinute: weightLimit, wallNow })

  const admin = { clock, faults, send: rest.sendJson.bind(rest) }
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid')
    const work = url.pathname.startsWith('/sim/') ? handleAdmin(req, res, url, admin) : rest.handle(req, res, url)
    work.catch((error: unknown) => {
      rest.sendJson(res, 500, { code: -1001, msg: `Internal error; ${(error as Error).message}` })
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
    rest.close()
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
    requests: rest.requests,
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
