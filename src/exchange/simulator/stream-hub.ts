// The WebSocket side of the simulator: stream URLs, live SUBSCRIBE/UNSUBSCRIBE, kline emission
// on clock ticks, server pings with pong timeouts, and the stream faults.
import { WebSocket, type RawData } from 'ws'
import { addBuckets, bucketStart, isInterval, type Interval } from '../../domain/intervals.js'
import type { SimClock } from './clock.js'
import type { Faults } from './faults.js'
import type { Kline, Market } from './market.js'
import { combinedMessage, klineEvent, serverShutdownEvent, type KlineEvent, type TimeScale } from './wire.js'

export interface StreamTarget {
  /** Wrap every event as {stream, data} (the /stream endpoint). */
  combined: boolean
  streams: string[]
  timeScale: TimeScale
}

export type StreamUrlResult =
  | { ok: true, target: StreamTarget }
  | { ok: false, status: 400 | 404, reason: string }

/** Parses an upgrade request URL: /ws, /ws/<stream>, /stream?streams=a/b[&timeUnit=...]. */
export function parseStreamUrl (rawUrl: string): StreamUrlResult {
  const url = new URL(rawUrl, 'http://simulator.invalid')
  const unit = url.searchParams.get('timeUnit')
  let timeScale: TimeScale = 1
  if (unit !== null && /^microsecond$/i.test(unit)) timeScale = 1000
  else if (unit !== null && !/^millisecond$/i.test(unit)) return { ok: false, status: 400, reason: `Invalid timeUnit ${unit}` }
  const path = url.pathname
  if (path === '/ws' || path === '/ws/') return { ok: true, target: { combined: false, streams: [], timeScale } }
  if (path.startsWith('/ws/')) return { ok: true, target: { combined: false, streams: [decodeURIComponent(path.slice(4))], timeScale } }
  if (path === '/stream' || path === '/stream/') {
    // Read `streams` by hand: URLSearchParams would turn the '+' of an @+08:00 suffix into a space.
    const pair = url.search.slice(1).split('&').find(p => p.startsWith('streams='))
    const list = pair === undefined ? '' : decodeURIComponent(pair.slice('streams='.length))
    return { ok: true, target: { combined: true, streams: list.split('/').filter(s => s !== ''), timeScale } }
  }
  return { ok: false, status: 404, reason: `No stream endpoint at ${path}` }
}

/**
 * `<lowercase symbol>@kline_<interval>` to its parts; undefined for every other stream name. The
 * interval is case-sensitive (1M is a month) and upper-case symbols are not stream names.
 */
export function parseStreamName (name: string): { symbol: string, interval: Interval } | undefined {
  const m = /^([a-z0-9]+)@kline_([0-9]+[a-zA-Z])$/.exec(name)
  if (m === null || !isInterval(m[2])) return undefined
  return { symbol: m[1]!.toUpperCase(), interval: m[2] }
}

export interface StreamHubOptions {
  clock: SimClock
  market: Market
  faults: Faults
  /** Upper-case symbols that produce data. */
  symbols: ReadonlySet<string>
  partialEveryMs: number
  pingIntervalMs: number
  pongTimeoutMs: number
}

interface Subscription {
  name: string
  kline: { symbol: string, interval: Interval } | undefined
  /** Sim time up to which closed buckets have been dealt with. */
  emittedUpTo: number
  lastPartialAt: number
  /** A final held back by the reorder fault, sent after the next final. */
  held: KlineEvent | undefined
}

interface Connection {
  ws: WebSocket
  combined: boolean
  timeScale: TimeScale
  subs: Map<string, Subscription>
  lastPingAt: number
  awaitingPongSince: number | undefined
  pingSeq: number
}

type ControlId = number | string | null

const REQUEST_ID_RE = /^[A-Za-z0-9_-]{1,36}$/
const METHODS = '`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`'

function rawText (data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}

function isStringArray (value: unknown): value is string[] {
  return Array.isArray(value) && value.every(v => typeof v === 'string')
}

export class StreamHub {
  private readonly conns = new Set<Connection>()
  private readonly stopTicks: () => void
  private readonly housekeeping: NodeJS.Timeout

  constructor (private readonly opts: StreamHubOptions) {
    this.stopTicks = opts.clock.onTick(now => { this.onTick(now) })
    // Ping scheduling runs on wall time: it models the network, not the market.
    const period = Math.max(5, Math.min(1000, Math.min(opts.pingIntervalMs, opts.pongTimeoutMs) / 4))
    this.housekeeping = setInterval(() => { this.keepAlive() }, period)
    this.housekeeping.unref()
  }

  get size (): number {
    let n = 0
    for (const c of this.conns) if (c.ws.readyState === WebSocket.OPEN) n++
    return n
  }

  accept (ws: WebSocket, target: StreamTarget): void {
    const conn: Connection = {
      ws,
      combined: target.combined,
      timeScale: target.timeScale,
      subs: new Map(),
      lastPingAt: Date.now(),
      awaitingPongSince: undefined,
      pingSeq: 0
    }
    this.subscribe(conn, target.streams)
    ws.on('message', data => { this.onControl(conn, rawText(data)) })
    ws.on('pong', data => { this.onPong(conn, data.toString('utf8')) })
    ws.on('close', () => { this.conns.delete(conn) })
    // ws closes the socket itself after a protocol error; the listener only prevents a crash.
    ws.on('error', () => {})
    this.conns.add(conn)
  }

  dropAll (code?: number): void {
    for (const c of this.conns) {
      if (code === undefined) c.ws.terminate()
      else c.ws.close(code, 'dropped by simulator')
    }
  }

  shutdownNotice (): void {
    const now = this.opts.clock.now()
    for (const c of this.conns) {
      if (c.ws.readyState !== WebSocket.OPEN) continue
      const event = serverShutdownEvent(now, c.timeScale)
      c.ws.send(JSON.stringify(c.combined ? combinedMessage('!serverShutdown', event) : event))
      c.ws.close(1001, 'server shutdown')
    }
  }

  close (): void {
    this.stopTicks()
    clearInterval(this.housekeeping)
    for (const c of this.conns) c.ws.terminate()
    this.conns.clear()
  }

  private subscribe (conn: Connection, names: readonly string[]): void {
    const now = this.opts.clock.now()
    for (const name of names) {
      if (conn.subs.has(name)) continue
      const parsed = parseStreamName(name)
      conn.subs.set(name, {
        name,
        kline: parsed !== undefined && this.opts.symbols.has(parsed.symbol) ? parsed : undefined,
        emittedUpTo: now,
        lastPartialAt: now,
        held: undefined
      })
    }
  }

  private onTick (now: number): void {
    for (const conn of this.conns) {
      if (conn.ws.readyState === WebSocket.OPEN) this.emit(conn, now)
    }
  }

  private emit (conn: Connection, now: number): void {
    const { market, faults, partialEveryMs } = this.opts
    for (const sub of conn.subs.values()) {
      const from = sub.emittedUpTo
      if (now <= from) {
        // The clock was set backwards: restart from the new time rather than replaying.
        if (now < from) sub.emittedUpTo = sub.lastPartialAt = now
        continue
      }
      sub.emittedUpTo = now
      // A stalled stream loses what it would have sent, like a silent real connection.
      if (sub.kline === undefined || faults.isStalled) continue
      const { symbol, interval } = sub.kline
      for (let b = bucketStart(interval, from); addBuckets(interval, b, 1) <= now;) {
        const k = market.kline(symbol, interval, b, now)
        if (k !== undefined) this.sendFinal(conn, sub, k, now)
        const next = market.nextMinute(symbol, addBuckets(interval, b, 1))
        if (next === undefined) break
        b = bucketStart(interval, next)
      }
      if (now - sub.lastPartialAt >= partialEveryMs) {
        sub.lastPartialAt = now
        const k = market.kline(symbol, interval, now, now)
        if (k !== undefined) this.sendEvent(conn, sub.name, klineEvent(k, now, conn.timeScale))
      }
    }
  }

  private sendFinal (conn: Connection, sub: Subscription, k: Kline, now: number): void {
    const { faults } = this.opts
    if (faults.takeOmitFinal()) return
    const event = klineEvent(k, now, conn.timeScale)
    const held = sub.held
    if (held !== undefined) {
      sub.held = undefined
      this.sendEvent(conn, sub.name, event)
      this.sendEvent(conn, sub.name, held)
      return
    }
    if (faults.takeReorder()) {
      sub.held = event
      return
    }
    this.sendEvent(conn, sub.name, event)
  }

  private sendEvent (conn: Connection, stream: string, event: KlineEvent): void {
    const { faults } = this.opts
    let text = JSON.stringify(conn.combined ? combinedMessage(stream, event) : event)
    // Cutting the text in half always leaves an unterminated object.
    if (faults.takeMalformed()) text = text.slice(0, Math.ceil(text.length / 2))
    conn.ws.send(text)
    if (faults.takeDuplicate()) conn.ws.send(text)
  }

  private reply (conn: Connection, message: object): void {
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify(message))
  }

  private onControl (conn: Connection, text: string): void {
    let msg: unknown
    try {
      msg = JSON.parse(text)
    } catch (error) {
      this.reply(conn, { code: 3, msg: `Invalid JSON: ${(error as Error).message}` })
      return
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.reply(conn, { code: 2, msg: 'Invalid request: expected a JSON object' })
      return
    }
    const req = msg as Record<string, unknown>
    const rawId = req.id
    if (!(rawId === undefined || rawId === null || Number.isSafeInteger(rawId) ||
      (typeof rawId === 'string' && REQUEST_ID_RE.test(rawId)))) {
      this.reply(conn, { code: 2, msg: 'Invalid request: request ID must be an integer, null, or an alphanumeric string of up to 36 characters' })
      return
    }
    const id = (rawId ?? null) as ControlId
    const fail = (code: number, detail: string): void => { this.reply(conn, { code, msg: detail, id }) }
    const params = req.params
    switch (req.method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE':
        if (!isStringArray(params)) {
          fail(2, 'Invalid request: params must be an array of stream names')
          return
        }
        if (req.method === 'SUBSCRIBE') this.subscribe(conn, params)
        else for (const name of params) conn.subs.delete(name)
        this.reply(conn, { result: null, id })
        return
      case 'LIST_SUBSCRIPTIONS':
        this.reply(conn, { result: [...conn.subs.keys()], id })
        return
      case 'SET_PROPERTY':
        if (!Array.isArray(params) || params.length !== 2) fail(2, 'Invalid request: SET_PROPERTY takes [name, value]')
        else if (typeof params[0] !== 'string') fail(2, 'Invalid request: property name must be a string')
        else if (params[0] !== 'combined') fail(0, 'Unknown property')
        else if (typeof params[1] !== 'boolean') fail(1, 'Invalid value type: expected Boolean')
        else {
          conn.combined = params[1]
          this.reply(conn, { result: null, id })
        }
        return
      case 'GET_PROPERTY':
        if (!Array.isArray(params) || params.length !== 1) fail(2, 'Invalid request: GET_PROPERTY takes [name]')
        else if (typeof params[0] !== 'string') fail(2, 'Invalid request: property name must be a string')
        else if (params[0] !== 'combined') fail(0, 'Unknown property')
        else this.reply(conn, { result: conn.combined, id })
        return
      default:
        if (typeof req.method !== 'string') fail(2, 'Invalid request: missing field `method`')
        else fail(2, `Invalid request: unknown variant \`${req.method}\`, expected one of ${METHODS}`)
    }
  }

  // Only a pong echoing one of our ping payloads counts, as on Binance: unsolicited empty pongs
  // (which some SDKs send in addition) do not keep a connection alive.
  private onPong (conn: Connection, payload: string): void {
    if (!/^\d+$/.test(payload)) return
    const seq = Number(payload)
    if (seq >= 1 && seq <= conn.pingSeq) conn.awaitingPongSince = undefined
  }

  private keepAlive (): void {
    const { faults, pingIntervalMs, pongTimeoutMs } = this.opts
    const wall = Date.now()
    for (const conn of this.conns) {
      if (conn.ws.readyState !== WebSocket.OPEN) continue
      if (faults.isStalled) {
        // A silent server cannot blame the client for not answering pings it never sent.
        conn.awaitingPongSince = undefined
        conn.lastPingAt = wall
        continue
      }
      if (conn.awaitingPongSince !== undefined && wall - conn.awaitingPongSince >= pongTimeoutMs) {
        conn.ws.terminate()
        continue
      }
      if (wall - conn.lastPingAt >= pingIntervalMs) {
        conn.pingSeq++
        conn.lastPingAt = wall
        conn.awaitingPongSince ??= wall
        conn.ws.ping(String(conn.pingSeq))
      }
    }
  }
}
