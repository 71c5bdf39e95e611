// The WebSocket side of the simulator: open stream connections and their subscriptions, kline
// emission on clock ticks, server pings with pong timeouts, and the stream faults. Upgrade URLs
// are parsed in stream-url.ts and control requests answered in stream-control.ts.
import { WebSocket, type RawData } from 'ws'
import { addBuckets, bucketStart, type Interval } from '../../domain/intervals.js'
import type { SimClock } from './clock.js'
import type { Faults } from './faults.js'
import type { Kline, Market } from './market.js'
import { handleControl, type ControlSession } from './stream-control.js'
import { parseStreamName, type StreamTarget } from './stream-url.js'
import { combinedMessage, klineEvent, serverShutdownEvent, type KlineEvent, type TimeScale } from './wire.js'

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

function rawText (data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
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
    const session = this.controlSession(conn)
    ws.on('message', data => { handleControl(rawText(data), session) })
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

  private controlSession (conn: Connection): ControlSession {
    return {
      reply: message => { this.reply(conn, message) },
      subscribe: names => { this.subscribe(conn, names) },
      unsubscribe: names => { for (const name of names) conn.subs.delete(name) },
      subscriptions: () => [...conn.subs.keys()],
      combined: () => conn.combined,
      setCombined: on => { conn.combined = on }
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
