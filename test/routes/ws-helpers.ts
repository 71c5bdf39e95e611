// A live service on 127.0.0.1 ingesting from the simulator on a stepped clock, and WebSocket
// clients that record every message and how they were closed.
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import WebSocket from 'ws'
import type { Settings } from '../../src/settings/schema.js'
import { BinanceExchange } from '../../src/exchange/binance/binance-exchange.js'
import type { ManualClock, Simulator } from '../../src/exchange/simulator/server.js'
import type { LiveIngestor } from '../../src/ingest/live-ingestor.js'
import { silentLog } from '../../src/log.js'
import type { DuckDbCandleStore } from '../../src/store/duckdb/duckdb-candle-store.js'
import { testApp, type Teardown } from '../helpers.js'
import { FAST_EXCHANGE, startSim, waitFor } from '../ingest/ingest-helpers.js'
import { whenOpen } from '../simulator-helpers.js'

export interface LiveService {
  app: FastifyInstance
  sim: Simulator
  clock: ManualClock
  ingestor: LiveIngestor
  url: string
  base: string
}

export async function startLiveService (t: Teardown, config: Partial<Settings> = {}, opts: { store?: DuckDbCandleStore, start?: number, hubNow?: () => number } = {}): Promise<LiveService> {
  const { sim, clock } = await startSim(t, {}, opts.start)
  const exchange = new BinanceExchange({ restUrl: sim.restUrl, wsUrl: sim.wsUrl, log: silentLog, ...FAST_EXCHANGE })
  // Registered before the app's: teardowns run last-first, so the app stops its ingestor first.
  t.teardown(() => exchange.close())
  const app = await testApp(t, { LIVE: true, LIVE_SYMBOLS: ['BTCUSDT', 'ETHUSDT'], LIVE_LOOKBACK: '2h', ...config }, {
    store: opts.store,
    hub: { now: opts.hubNow },
    ingest: { exchange, ingestor: { retryMinMs: 20, retryMaxMs: 200 } }
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const ingestor = app.ingest as LiveIngestor
  const symbols = config.LIVE_SYMBOLS ?? ['BTCUSDT', 'ETHUSDT']
  const lastClosed = Math.floor(clock.now() / 60_000) * 60_000 - 60_000
  await waitFor(() => symbols.every((sym) => ingestor.health().live.symbols[sym]?.last_closed_ts === lastClosed), 10_000, 'the first catch-up')
  await ingestor.idle()
  await app.liveFeed.idle()
  return { app, sim, clock, ingestor, url: `ws://127.0.0.1:${port}/ws`, base: `http://127.0.0.1:${port}` }
}

export interface Msg {
  type: string
  [key: string]: any
}

export class Client {
  readonly messages: Msg[] = []
  closeCode?: number
  closeReason?: string
  private constructor (readonly ws: WebSocket) {
    ws.on('message', (data) => { this.messages.push(JSON.parse(String(data)) as Msg) })
    ws.on('close', (code, reason) => { this.closeCode = code; this.closeReason = String(reason) })
    ws.on('error', () => {})
  }

  static async open (t: Teardown, url: string, options: WebSocket.ClientOptions = {}): Promise<Client> {
    const ws = new WebSocket(url, options)
    const client = new Client(ws)
    await whenOpen(t, ws)
    await waitFor(() => client.messages.length > 0, 5000, 'welcome')
    return client
  }

  static wrap (ws: WebSocket): Client {
    return new Client(ws)
  }

  send (msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg))
  }

  async subscribe (symbol: string, interval: string, extra: Record<string, unknown> = {}): Promise<void> {
    const before = this.count('subscribed')
    this.send({ event: 'subscribe', symbol, interval, ...extra })
    await waitFor(() => this.count('subscribed') > before, 5000, `subscribed ${symbol} ${interval}`)
  }

  count (type: string): number {
    return this.messages.filter((m) => m.type === type).length
  }

  candles (symbol?: string, interval?: string): Msg[] {
    return this.messages.filter((m) => m.type === 'candle' && (symbol === undefined || m.symbol === symbol) && (interval === undefined || m.interval === interval))
  }

  async closed (timeoutMs = 5000): Promise<number> {
    await waitFor(() => this.closeCode !== undefined, timeoutMs, 'close')
    return this.closeCode!
  }
}

/** Every close code a server may legitimately send (never 1006, which is reserved). */
export const SERVER_CLOSE_CODES = [1000, 1001, 1008, 1009, 1013]

export async function restCandle (base: string, symbol: string, interval: string, ts: number): Promise<number[] | undefined> {
  const res = await fetch(`${base}/api/v1/candles?symbol=${symbol}&interval=${interval}&from=${ts}&to=${ts}`)
  return (await res.json() as { data: number[][] }).data[0]
}
