// Shared plumbing for the simulator tests: a ManualClock-driven simulator bound to 127.0.0.1, JSON
// fetches, and a WebSocket client that collects messages so tests can wait for exact counts.
import { createRequire } from 'node:module'
import WebSocket from 'ws'
import { ManualClock, startSimulator, type Simulator, type SimulatorOptions } from '../src/exchange/simulator/server.js'

export interface TeardownHost {
  teardown: (fn: () => unknown) => void
}

/** 2024-01-01T12:00:00Z: a round hour, far from listing time. */
export const T0 = Date.UTC(2024, 0, 1, 12)
export const MIN = 60_000

/**
 * Resolves when `ws` (listeners already attached by the caller) is open, and terminates it when the
 * test ends. A refused upgrade rejects with "upgrade refused: <status>" and the status on `status`.
 */
export async function whenOpen (t: TeardownHost, ws: WebSocket): Promise<void> {
  t.teardown(() => { ws.terminate() })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => { resolve() })
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`upgrade refused: ${res.statusCode ?? '?'}`), { status: res.statusCode }))
    })
    ws.once('error', reject)
  })
}

export async function startTestSim (t: TeardownHost, opts: SimulatorOptions = {}, startMs = T0): Promise<{ sim: Simulator, clock: ManualClock }> {
  const clock = new ManualClock(startMs)
  const sim = await startSimulator({ host: '127.0.0.1', port: 0, clock, ...opts })
  t.teardown(async () => { await sim.close() })
  return { sim, clock }
}

export interface JsonResponse<T = unknown> {
  status: number
  headers: Headers
  body: T
}

export async function getJson<T = unknown> (url: string, init: RequestInit = {}): Promise<JsonResponse<T>> {
  const res = await fetch(url, init)
  return { status: res.status, headers: res.headers, body: await res.json() as T }
}

export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

/** Polls `predicate` until it holds or `timeoutMs` passes. */
export async function waitFor (predicate: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/** A ws client that records every text message, ping and close. */
export class Collector {
  readonly messages: string[] = []
  pings = 0
  closeCode: number | undefined
  private readonly waiters = new Set<() => void>()

  private constructor (readonly ws: WebSocket) {
    ws.on('message', data => { this.messages.push(data.toString()); this.wake() })
    ws.on('ping', () => { this.pings++; this.wake() })
    ws.on('close', code => { this.closeCode = code; this.wake() })
    ws.on('error', () => {})
  }

  static async open (t: TeardownHost, url: string, options: WebSocket.ClientOptions = {}): Promise<Collector> {
    const ws = new WebSocket(url, options)
    const c = new Collector(ws)
    await whenOpen(t, ws)
    return c
  }

  private wake (): void {
    for (const w of [...this.waiters]) w()
  }

  /** Resolves once `predicate` holds, re-checked on every message, ping or close. */
  async until (predicate: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
    if (predicate()) return
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return
        clearTimeout(timer)
        this.waiters.delete(check)
        resolve()
      }
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        reject(new Error(`timed out waiting for ${what}; got ${this.messages.length} messages`))
      }, timeoutMs)
      this.waiters.add(check)
    })
  }

  async count (n: number, timeoutMs = 2000): Promise<string[]> {
    await this.until(() => this.messages.length >= n, timeoutMs, `${n} messages`)
    return this.messages.slice(0, n)
  }

  async closed (timeoutMs = 2000): Promise<number> {
    await this.until(() => this.closeCode !== undefined, timeoutMs, 'close')
    return this.closeCode ?? -1
  }

  json (): unknown[] {
    return this.messages.map(m => JSON.parse(m) as unknown)
  }

  /** Sends a control request and waits for the reply carrying the same id. */
  async request (body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const seen = this.messages.length
    this.ws.send(JSON.stringify(body))
    const find = (): number => this.messages.findIndex((m, i) => {
      if (i < seen) return false
      try {
        const parsed = JSON.parse(m) as Record<string, unknown>
        return 'id' in parsed && parsed.id === (body.id ?? null) && !('e' in parsed)
      } catch {
        return false
      }
    })
    await this.until(() => find() >= 0, 2000, `reply to ${JSON.stringify(body)}`)
    // The reply is consumed so message counts in tests only cover stream data.
    const [reply] = this.messages.splice(find(), 1)
    return JSON.parse(reply ?? '{}') as Record<string, unknown>
  }

  clear (): void {
    this.messages.length = 0
  }
}

/** Resolves after in-flight socket data has had a chance to arrive. */
export async function quiet (ms = 60): Promise<void> {
  await sleep(ms)
}

// @binance/connector is CJS without type declarations; these are the parts the tests touch.
export interface ConnectorResponse {
  status: number
  data: unknown
  headers: Record<string, string | undefined>
}
export interface ConnectorSpot {
  klines: (symbol: string, interval: string, options?: Record<string, number>) => Promise<ConnectorResponse>
  time: () => Promise<ConnectorResponse>
}
export interface ConnectorLogger {
  debug: (...args: unknown[]) => void
  info: (...args: unknown[]) => void
  warn: (...args: unknown[]) => void
  error: (...args: unknown[]) => void
}
export interface ConnectorWebsocketStream {
  kline: (symbol: string, interval: string) => void
  disconnect: () => void
}
export interface ConnectorModule {
  Spot: new (apiKey: string, apiSecret: string, options: { baseURL: string, timeout: number, logger?: ConnectorLogger }) => ConnectorSpot
  WebsocketStream: new (options: {
    wsURL: string
    reconnectDelay?: number
    logger?: ConnectorLogger
    callbacks: { message?: (data: string) => void, open?: () => void, close?: () => void }
  }) => ConnectorWebsocketStream
}

export const connector = createRequire(import.meta.url)('@binance/connector') as ConnectorModule

export const silentLogger: ConnectorLogger = { debug () {}, info () {}, warn () {}, error () {} }
