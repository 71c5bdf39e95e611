// The /ws hub: the only writer to client sockets. It takes over upgraded sockets, answers client
// frames, fans each topic message of the feed out to exactly the clients that want it (clients that
// never subscribed get the broadcast topics, as the original service did), keeps connections alive,
// and closes clients that are too slow, silent or abusive. The feed is given to it: the hub hands
// the feed its sink and switches topics on and off through the subscription index.
import type { RawData, WebSocket } from 'ws'
import type { Interval } from '../domain/intervals.js'
import type { Log } from '../log.js'
import type { CandleStore } from '../store/candle-store.js'
import { INBOUND_PER_SECOND } from './inbound-budget.js'
import {
  CLOSE_GOING_AWAY, CLOSE_POLICY, CLOSE_TRY_AGAIN_LATER, LiveClient, type ClientCounters, type ClientLimits, type CloseCause
} from './live-client.js'
import type { TopicSink } from './live-feed.js'
import { WELCOME, errorMessage, parseClientMessage, topicKey, type ClientRequest } from './protocol.js'
import { SubscriptionIndex, type TopicActivation, type TopicName } from './subscription-index.js'

/** The hub's view of the feed: it switches topics on and off and says how many it produces. */
export interface HubFeed extends TopicActivation {
  readonly activeTopics: number
  /** Hands the feed the hub's sink: from then on the feed's messages go to the hub's clients. */
  connect (sink: TopicSink): void
}

export interface HubOptions {
  feed: HubFeed
  store: CandleStore
  log: Log
  pingPeriodMs: number
  pongTimeoutMs: number
  limits: ClientLimits
  maxClients: number
  maxSubscriptions: number
  /** Largest snapshot served on subscribe (HTTP_MAX_LIMIT). */
  maxSnapshot: number
  /** Topics pushed to clients that never subscribe. */
  broadcastTopics: readonly TopicName[]
  /** Whether a symbol can be subscribed to (stored or live). */
  isKnownSymbol: (symbol: string) => boolean
  /** The clock of keepalive, stalls and the inbound budget; Date.now unless a test drives it. */
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

/** How long shutdown waits for clients to complete the close handshake. */
const SHUTDOWN_GRACE_MS = 1500

export class LiveHub {
  private readonly clients = new Set<LiveClient>()
  private readonly index: SubscriptionIndex<LiveClient>
  private readonly counters: ClientCounters = { messagesSent: 0, bytesSent: 0 }
  private readonly closed = { backpressure: 0, pong_timeout: 0, limit: 0 }
  private connections = 0
  private refused = 0
  private clientErrors = 0
  private nextId = 1
  private readonly pingTimer: NodeJS.Timeout
  private readonly stallTimer: NodeJS.Timeout
  private readonly now: () => number
  private readonly onCause = (_client: LiveClient, cause: CloseCause): void => {
    if (cause === 'backpressure') this.closed.backpressure++
    else if (cause === 'pong_timeout') this.closed.pong_timeout++
    else if (cause === 'limit') this.closed.limit++
  }

  constructor (private readonly opts: HubOptions) {
    this.now = opts.now ?? Date.now
    this.index = new SubscriptionIndex(opts.feed, opts.broadcastTopics)
    opts.feed.connect({ topic: (key, text) => this.toTopic(key, text), all: (text) => this.toAll(text) })
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
    const client = new LiveClient(socket, this.nextId++, { limits: this.opts.limits, counters: this.counters, now: this.now, onCause: this.onCause })
    this.clients.add(client)
    this.index.join(client)
    this.connections++
    socket.on('message', (data: RawData, isBinary: boolean) => this.onFrame(client, data, isBinary))
    socket.on('pong', () => client.notePong())
    socket.on('error', (err: Error & { code?: string }) => {
      // ws reports an oversized or malformed frame here (WS_ERR_*), then closes with 1009/1002 itself.
      if (err.code?.startsWith('WS_ERR_') === true) client.markClosing('limit')
      this.opts.log.debug({ client: client.id, err, code: err.code }, 'client socket error')
    })
    socket.on('close', () => this.detach(client))
    client.send(WELCOME)
    return client
  }

  private detach (client: LiveClient): void {
    if (!this.clients.delete(client)) return
    this.index.leave(client, client.topics)
  }

  private replyError (client: LiveClient, error: string, message: string): void {
    this.clientErrors++
    client.send(errorMessage(error, message))
  }

  private withinBudget (client: LiveClient): boolean {
    const verdict = client.takeInbound()
    if (verdict === 'accept') return true
    if (verdict === 'close') client.close(CLOSE_POLICY, 'too many messages', 'limit')
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
      if (client.unsubscribe(key)) this.index.unsubscribe(client, key)
      client.send(JSON.stringify({ type: 'unsubscribed', symbol: req.symbol, interval: req.interval }))
      return
    }
    if (!this.opts.isKnownSymbol(req.symbol)) {
      this.replyError(client, 'unknown_symbol', `symbol ${req.symbol} is not stored or ingested here`)
      return
    }
    // The first subscribe ends broadcast mode for this client, even one refused for the limit.
    const outcome = client.subscribe(key, this.opts.maxSubscriptions)
    this.index.endBroadcast(client)
    if (outcome === 'full') {
      this.replyError(client, 'too_many_subscriptions', `at most ${this.opts.maxSubscriptions} subscriptions per connection`)
      return
    }
    if (outcome === 'added') this.index.subscribe(client, req.symbol, req.interval)
    client.send(JSON.stringify({ type: 'subscribed', symbol: req.symbol, interval: req.interval }))
    if (req.snapshot !== undefined) this.sendSnapshot(client, key, req.symbol, req.interval, Math.min(req.snapshot, this.opts.maxSnapshot))
  }

  private sendSnapshot (client: LiveClient, key: string, symbol: string, interval: Interval, limit: number): void {
    if (!client.hold(key)) return
    this.opts.store.getCandles({ symbol, interval, limit }).then(
      (data) => client.send(JSON.stringify({ type: 'snapshot', symbol, interval, data })),
      (err: unknown) => {
        this.opts.log.error({ key, err }, 'snapshot read failed')
        this.replyError(client, 'snapshot_failed', 'the snapshot could not be read; live updates continue')
      }
    ).finally(() => client.release(key))
  }

  private toTopic (key: string, text: string): void {
    const data = Buffer.from(text)
    this.index.forEachRecipient(key, (c) => c.deliver(key, data))
  }

  private toAll (text: string): void {
    const data = Buffer.from(text)
    for (const c of this.clients) c.send(data)
  }

  private keepAlive (): void {
    for (const c of this.clients) {
      if (c.closing !== undefined) continue
      if (c.pongOverdue(this.opts.pongTimeoutMs)) {
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
    for (const c of this.clients) {
      if (c.closing === undefined && c.stalled()) c.close(CLOSE_TRY_AGAIN_LATER, 'backpressure: the client stopped reading', 'backpressure')
    }
  }

  stats (): HubStats {
    return {
      clients: this.clients.size,
      subscriptions: this.index.subscriptions,
      topics: this.opts.feed.activeTopics,
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

  /**
   * Closes every client with 1001; the ones that do not finish the handshake in time are cut off.
   * The feed is its creator's to close (before this, so nothing new arrives meanwhile).
   */
  async close (): Promise<void> {
    clearInterval(this.pingTimer)
    clearInterval(this.stallTimer)
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
