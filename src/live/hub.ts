// The /ws hub: the only writer to client sockets. It keeps clients and their subscriptions, fans
// each topic message out to exactly the clients that want it (clients that never subscribed get
// the broadcast topics, as the original service did), answers client frames, keeps connections
// alive, and closes clients that are too slow, silent or abusive.
import type { RawData, WebSocket } from 'ws'
import type { Interval } from '../domain/intervals.js'
import type { Log } from '../log.js'
import type { CandleStore } from '../store/candle-store.js'
import {
  CLOSE_GOING_AWAY, CLOSE_POLICY, CLOSE_TRY_AGAIN_LATER, LiveClient, type ClientCounters, type ClientLimits, type CloseCause
} from './live-client.js'
import { LiveFeed } from './live-feed.js'
import type { LiveBus } from './live-bus.js'
import { WELCOME, errorMessage, parseClientMessage, topicKey, type ClientRequest } from './protocol.js'

export interface HubOptions {
  bus: LiveBus
  store: CandleStore
  log: Log
  emitPartials: boolean
  partialThrottleMs: number
  pingPeriodMs: number
  pongTimeoutMs: number
  limits: ClientLimits
  maxClients: number
  maxSubscriptions: number
  /** Largest snapshot served on subscribe (HTTP_MAX_LIMIT). */
  maxSnapshot: number
  /** Topics pushed to clients that never subscribe. */
  broadcastTopics: ReadonlyArray<{ symbol: string, interval: Interval }>
  /** Whether a symbol can be subscribed to (stored or live). */
  isKnownSymbol: (symbol: string) => boolean
  /** The clock keepalive reads (pong times and timeouts); Date.now unless a test drives it. */
  now?: () => number
}

export interface HubStats {
  clients: number
  subscriptions: number
  topics: number
  connections_total: number
  messages_sent_total: number
  bytes_sent_total: number
  closed_backpressure_total: number
  closed_pong_timeout_total: number
  closed_limit_total: number
  refused_total: number
  client_errors_total: number
}

// Inbound message budget per client: a burst of 20, refilled at 10 per second. Clients send a
// handful of subscribes; anything near the limit is a bug or abuse.
const INBOUND_BURST = 20
const INBOUND_PER_SECOND = 10
const INBOUND_OVERRUN_CLOSE = 50
/** How long shutdown waits for clients to complete the close handshake. */
const SHUTDOWN_GRACE_MS = 1500

export class LiveHub {
  readonly feed: LiveFeed
  private readonly clients = new Set<LiveClient>()
  private readonly broadcast = new Set<LiveClient>()
  private readonly subscribers = new Map<string, Set<LiveClient>>()
  private readonly broadcastKeys: Set<string>
  private readonly counters: ClientCounters = { messagesSent: 0, bytesSent: 0 }
  private readonly closed = { backpressure: 0, pong_timeout: 0, limit: 0 }
  private connections = 0
  private refused = 0
  private clientErrors = 0
  private nextId = 1
  private readonly pingTimer: NodeJS.Timeout
  private readonly stallTimer: NodeJS.Timeout
  private readonly budgets = new WeakMap<LiveClient, { tokens: number, at: number, overrun: number }>()
  private readonly now: () => number

  constructor (private readonly opts: HubOptions) {
    this.now = opts.now ?? Date.now
    this.feed = new LiveFeed({
      bus: opts.bus,
      store: opts.store,
      emitPartials: opts.emitPartials,
      partialThrottleMs: opts.partialThrottleMs,
      log: opts.log,
      sink: { topic: (key, text) => this.toTopic(key, text), all: (text) => this.toAll(text) }
    })
    this.broadcastKeys = new Set(opts.broadcastTopics.map((t) => topicKey(t.symbol, t.interval)))
    for (const t of opts.broadcastTopics) this.feed.activate(t.symbol, t.interval)
    this.pingTimer = setInterval(() => this.keepAlive(), opts.pingPeriodMs)
    this.pingTimer.unref()
    this.stallTimer = setInterval(() => this.checkStalls(), Math.max(10, Math.min(1000, opts.limits.stallTimeoutMs / 4)))
    this.stallTimer.unref()
  }

  get clientCount (): number {
    return this.clients.size
  }

  /** False when one more client would pass WS_MAX_CLIENTS; the upgrade should be refused. */
  canAccept (): boolean {
    return this.clients.size < this.opts.maxClients
  }

  noteRefused (): void {
    this.refused++
  }

  /** Takes over an upgraded socket: welcome, then subscriptions and live messages. */
  attach (socket: WebSocket): LiveClient {
    const client = new LiveClient(socket, this.nextId++, this.opts.limits, this.counters, (c, cause) => this.onCause(c, cause))
    this.clients.add(client)
    this.broadcast.add(client)
    this.connections++
    this.budgets.set(client, { tokens: INBOUND_BURST, at: Date.now(), overrun: 0 })
    client.lastPongAt = this.now()
    socket.on('message', (data: RawData, isBinary: boolean) => this.onFrame(client, data, isBinary))
    socket.on('pong', () => { client.lastPongAt = this.now() })
    socket.on('error', (err: Error & { code?: string }) => {
      // ws reports an oversized or malformed frame here (WS_ERR_*), then closes with 1009/1002 itself.
      if (err.code?.startsWith('WS_ERR_') === true) client.markClosing('limit')
      this.opts.log.debug({ client: client.id, err, code: err.code }, 'client socket error')
    })
    socket.on('close', () => this.detach(client))
    client.send(WELCOME)
    return client
  }

  private onCause (_client: LiveClient, cause: CloseCause): void {
    if (cause === 'backpressure') this.closed.backpressure++
    else if (cause === 'pong_timeout') this.closed.pong_timeout++
    else if (cause === 'limit') this.closed.limit++
  }

  private detach (client: LiveClient): void {
    if (!this.clients.delete(client)) return
    this.broadcast.delete(client)
    for (const key of client.topics ?? []) this.removeSubscription(client, key)
  }

  private removeSubscription (client: LiveClient, key: string): void {
    const subs = this.subscribers.get(key)
    if (subs?.delete(client) !== true) return
    if (subs.size === 0) this.subscribers.delete(key)
    const [symbol, interval] = key.split('|') as [string, Interval]
    this.feed.deactivate(symbol, interval)
  }

  private replyError (client: LiveClient, error: string, message: string): void {
    this.clientErrors++
    client.send(errorMessage(error, message))
  }

  private withinBudget (client: LiveClient): boolean {
    const b = this.budgets.get(client)!
    const now = Date.now()
    b.tokens = Math.min(INBOUND_BURST, b.tokens + ((now - b.at) / 1000) * INBOUND_PER_SECOND)
    b.at = now
    if (b.tokens >= 1) {
      b.tokens--
      return true
    }
    if (++b.overrun >= INBOUND_OVERRUN_CLOSE) client.close(CLOSE_POLICY, 'too many messages', 'limit')
    else this.replyError(client, 'rate_limited', `at most ${INBOUND_PER_SECOND} messages per second; this one was dropped`)
    return false
  }

  private onFrame (client: LiveClient, data: RawData, isBinary: boolean): void {
    if (client.closing !== undefined || !this.withinBudget(client)) return
    if (isBinary) {
      this.replyError(client, 'invalid_message', 'send JSON text frames')
      return
    }
    const parsed = parseClientMessage(data.toString())
    if (!parsed.ok) {
      this.replyError(client, parsed.error, parsed.message)
      return
    }
    this.handle(client, parsed.request)
  }

  private handle (client: LiveClient, req: ClientRequest): void {
    if (req.kind === 'ping') {
      client.send('{"type":"pong"}')
      return
    }
    const key = topicKey(req.symbol, req.interval)
    if (req.kind === 'unsubscribe') {
      if (client.topics?.delete(key) === true) {
        this.removeSubscription(client, key)
        client.held.delete(key)
      }
      client.send(JSON.stringify({ type: 'unsubscribed', symbol: req.symbol, interval: req.interval }))
      return
    }
    if (!this.opts.isKnownSymbol(req.symbol)) {
      this.replyError(client, 'unknown_symbol', `symbol ${req.symbol} is not stored or ingested here`)
      return
    }
    // The first subscribe ends broadcast mode for this client.
    client.topics ??= new Set()
    this.broadcast.delete(client)
    if (!client.topics.has(key)) {
      if (client.topics.size >= this.opts.maxSubscriptions) {
        this.replyError(client, 'too_many_subscriptions', `at most ${this.opts.maxSubscriptions} subscriptions per connection`)
        return
      }
      client.topics.add(key)
      let subs = this.subscribers.get(key)
      if (subs === undefined) this.subscribers.set(key, subs = new Set())
      subs.add(client)
      this.feed.activate(req.symbol, req.interval)
    }
    client.send(JSON.stringify({ type: 'subscribed', symbol: req.symbol, interval: req.interval }))
    if (req.snapshot !== undefined) this.sendSnapshot(client, key, req.symbol, req.interval, Math.min(req.snapshot, this.opts.maxSnapshot))
  }

  private sendSnapshot (client: LiveClient, key: string, symbol: string, interval: Interval, limit: number): void {
    if (client.held.has(key)) return
    client.held.set(key, [])
    this.opts.store.getCandles({ symbol, interval, limit }).then(
      (data) => client.send(JSON.stringify({ type: 'snapshot', symbol, interval, data })),
      (err: unknown) => {
        this.opts.log.error({ key, err }, 'snapshot read failed')
        this.replyError(client, 'snapshot_failed', 'the snapshot could not be read; live updates continue')
      }
    ).finally(() => {
      const held = client.held.get(key) ?? []
      client.held.delete(key)
      for (const text of held) client.send(text)
    })
  }

  private toTopic (key: string, text: string): void {
    const data = Buffer.from(text)
    const subs = this.subscribers.get(key)
    if (subs !== undefined) for (const c of subs) c.deliver(key, data)
    if (this.broadcastKeys.has(key)) for (const c of this.broadcast) c.send(data)
  }

  private toAll (text: string): void {
    const data = Buffer.from(text)
    for (const c of this.clients) c.send(data)
  }

  private keepAlive (): void {
    const now = this.now()
    for (const c of this.clients) {
      if (c.closing !== undefined) continue
      if (now - c.lastPongAt > this.opts.pongTimeoutMs) {
        c.close(CLOSE_GOING_AWAY, 'pong timeout', 'pong_timeout')
        continue
      }
      try {
        c.socket.ping()
      } catch {
        // The socket is already closing; its close event cleans up.
      }
    }
  }

  private checkStalls (): void {
    const now = Date.now()
    for (const c of this.clients) {
      if (c.closing === undefined && c.stalled(now)) c.close(CLOSE_TRY_AGAIN_LATER, 'backpressure: the client stopped reading', 'backpressure')
    }
  }

  stats (): HubStats {
    let subscriptions = 0
    for (const subs of this.subscribers.values()) subscriptions += subs.size
    return {
      clients: this.clients.size,
      subscriptions,
      topics: this.feed.activeTopics,
      connections_total: this.connections,
      messages_sent_total: this.counters.messagesSent,
      bytes_sent_total: this.counters.bytesSent,
      closed_backpressure_total: this.closed.backpressure,
      closed_pong_timeout_total: this.closed.pong_timeout,
      closed_limit_total: this.closed.limit,
      refused_total: this.refused,
      client_errors_total: this.clientErrors
    }
  }

  /** Closes every client with 1001; the ones that do not finish the handshake in time are cut off. */
  async close (): Promise<void> {
    clearInterval(this.pingTimer)
    clearInterval(this.stallTimer)
    this.feed.close()
    const clients = [...this.clients]
    const gone = Promise.all(clients.map((c) => new Promise<void>((resolve) => {
      if (c.socket.readyState === c.socket.CLOSED) resolve()
      else c.socket.once('close', () => resolve())
    })))
    for (const c of clients) c.close(CLOSE_GOING_AWAY, 'server shutting down', 'shutdown')
    let timer: NodeJS.Timeout | undefined
    await Promise.race([gone, new Promise((resolve) => { timer = setTimeout(resolve, SHUTDOWN_GRACE_MS) })])
    clearTimeout(timer)
    for (const c of clients) c.socket.terminate()
    await gone
  }
}
