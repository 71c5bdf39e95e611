// One Binance combined-stream connection carrying every kline stream, kept alive by us rather than
// by the connector: the connector reconnects to its first URL with a fixed delay and cannot be
// stopped while a reconnect is pending. Each attempt here is a fresh connector socket whose URL
// lists every stream, so a reconnect restores all of them; attempts back off from 1 s to 30 s with
// jitter, and a connection silent for too long is treated as dead.
import { WebsocketStream } from '@binance/connector'
import { jitteredBackoff } from '../../async/backoff.js'
import type { Log } from '../../log.js'
import type { KlineStream, KlineStreamHandlers, ReachListener, StreamKey } from '../exchange.js'
import { connectorLogger, urlHost } from './rest-client.js'
import { WireError, parseStreamMessage, streamName } from './wire.js'

/** When a connection counts as dead, and how long reconnects wait. */
export interface KlineStreamTuning {
  /** No message for this long means the connection is dead (default: 3 minutes, 3 × 1m). */
  silenceTimeoutMs?: number
  backoffMinMs?: number
  backoffMaxMs?: number
}

export interface KlineStreamOptions extends KlineStreamTuning {
  wsUrl: string
  streams: readonly StreamKey[]
  handlers: KlineStreamHandlers
  log: Log
  reach?: ReachListener
}

/** A socket error in a few words: its code (ENOTFOUND, ECONNREFUSED...) and what it says. */
function socketReason (err: Error & { code?: string, errors?: Error[] }): string {
  // Connecting to every address of a name fails as an AggregateError with an empty message.
  const message = err.message !== '' ? err.message : err.errors?.map((e) => e.message).join('; ') ?? ''
  if (err.code === undefined || message.includes(err.code)) return message || 'connection failed'
  return message === '' ? err.code : `${err.code}: ${message}`
}

export class BinanceKlineStream implements KlineStream {
  state: 'connecting' | 'open' | 'closed' = 'connecting'
  reconnectAttempts = 0
  private conn?: WebsocketStream
  private failures = 0
  private lastMessageAt = 0
  private stopped = false
  private reconnectTimer?: NodeJS.Timeout
  private readonly watchdog: NodeJS.Timeout
  private readonly silenceTimeoutMs: number
  private readonly backoffMinMs: number
  private readonly backoffMaxMs: number
  private readonly host: string
  /** Why the current connection failed or closed, for the reconnect line. */
  private lastError?: string
  private opened = false

  constructor (private readonly opts: KlineStreamOptions) {
    this.silenceTimeoutMs = opts.silenceTimeoutMs ?? 180_000
    this.backoffMinMs = opts.backoffMinMs ?? 1000
    this.backoffMaxMs = opts.backoffMaxMs ?? 30_000
    this.host = urlHost(opts.wsUrl)
    this.watchdog = setInterval(() => this.checkSilence(), Math.min(1000, Math.max(50, this.silenceTimeoutMs / 4)))
    this.watchdog.unref()
    this.connect()
  }

  private connect (): void {
    this.state = 'connecting'
    const conn = new WebsocketStream({
      wsURL: this.opts.wsUrl,
      combinedStreams: true,
      // The connector's own reconnect is disarmed in onClose; this only shortens its dead timer.
      reconnectDelay: 1,
      logger: connectorLogger(this.opts.log),
      callbacks: {
        open: () => this.onOpen(conn),
        message: (data) => this.onMessage(conn, data),
        close: () => this.onClose(conn)
      }
    })
    this.conn = conn
    this.lastMessageAt = Date.now()
    this.lastError = undefined
    this.opened = false
    conn.subscribe(this.opts.streams.map(streamName))
    // subscribe() created the socket; its error (DNS, refused, HTTP status) is the close's reason.
    conn.wsConnection.ws?.on('error', (err) => {
      if (conn === this.conn) this.lastError = socketReason(err)
    })
  }

  private onOpen (conn: WebsocketStream): void {
    if (conn !== this.conn || this.stopped) return
    this.state = 'open'
    this.opened = true
    this.failures = 0
    this.opts.reach?.reached(this.host)
    this.lastMessageAt = Date.now()
    this.opts.log.info({ streams: this.opts.streams.length }, 'exchange stream connected')
    this.opts.handlers.onOpen()
  }

  private onMessage (conn: WebsocketStream, data: string): void {
    if (conn !== this.conn || this.stopped) return
    this.lastMessageAt = Date.now()
    let msg
    try {
      msg = parseStreamMessage(data)
    } catch (err) {
      this.opts.handlers.onBadMessage(err instanceof WireError ? err.message : String(err))
      return
    }
    if (msg.kind === 'kline') this.opts.handlers.onKline(msg.event)
    else if (msg.kind === 'shutdown') {
      this.opts.log.info('exchange announced a server shutdown; reconnecting')
      conn.wsConnection.ws?.terminate()
    }
  }

  private onClose (conn: WebsocketStream): void {
    // Disarm the connector's fixed-delay reconnect to its first URL; this class reconnects itself.
    conn.initConnect = () => {}
    if (conn !== this.conn) return
    this.state = 'closed'
    if (this.stopped) return
    this.failures++
    this.reconnectAttempts++
    const delay = Math.round(jitteredBackoff(this.failures, this.backoffMinMs, this.backoffMaxMs))
    const reason = this.lastError ?? (this.opened ? 'connection lost' : 'closed before it opened')
    if (!this.opened) this.opts.reach?.unreachable(this.host, reason)
    this.opts.handlers.onClose({ code: 0, reason, host: this.host, reconnectInMs: delay })
    this.reconnectTimer = setTimeout(() => { if (!this.stopped) this.connect() }, delay)
  }

  private checkSilence (): void {
    if (this.stopped || this.state === 'closed') return
    const silentFor = Date.now() - this.lastMessageAt
    if (silentFor > this.silenceTimeoutMs) {
      this.opts.log.warn({ silentForMs: silentFor }, 'exchange stream silent for too long; reconnecting')
      this.lastMessageAt = Date.now()
      const ws = this.conn?.wsConnection.ws
      // terminate() on a connecting or open socket emits close, which schedules the reconnect.
      if (ws !== undefined) ws.terminate()
    }
  }

  async stop (): Promise<void> {
    this.stopped = true
    clearInterval(this.watchdog)
    clearTimeout(this.reconnectTimer)
    const conn = this.conn
    if (conn === undefined) return
    conn.initConnect = () => {}
    conn.wsConnection.closeInitiated = true
    const ws = conn.wsConnection.ws
    this.state = 'closed'
    if (ws === undefined || ws.readyState === ws.CLOSED) return
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve())
      ws.terminate()
    })
  }
}
