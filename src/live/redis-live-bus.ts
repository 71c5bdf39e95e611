// The live bus over Redis pub/sub (ioredis), for several processes sharing one store: the ingest
// side publishes, every replica (the publisher's own included) receives in publishing order on one
// channel. Pub/sub is at-most-once, so nothing is queued or resent by the client: a publish either
// reaches the server at once or fails, a failure is reported to every replica with a `gap` message
// once the connection is back, and a replica whose own connection dropped, or that hears of a gap,
// re-publishes from the store what its subscribers may have missed (see bus-recovery.ts).
import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Log } from '../log.js'
import { closeRedis, openRedis, redactUrl } from '../redis/redis-client.js'
import { decodeBusMessage, encodeBusMessage, type BusPayload } from './bus-codec.js'
import { BusRecovery, type RecoveryStore } from './bus-recovery.js'
import { ListenerSet, type BusStatus, type LiveBus, type LiveListener, type LiveMessage, type WriteNotice, type WriteNoticeListener } from './live-bus.js'

export interface RedisLiveBusOptions {
  url: string
  /** Prefix of the channel's name (REDIS_PREFIX), so several deployments can share one server. */
  prefix: string
  /** The store recoveries re-read finals from. */
  store: RecoveryStore
  /** Newest finals re-published per symbol by a recovery (HTTP_DEFAULT_LIMIT, as after a catch-up). */
  publishLimit: number
  log: Log
  /** Each connection answers a PING this often, or is dropped and made again (ms). */
  heartbeatMs?: number
  /** Longest wait between reconnection attempts (ms). */
  maxReconnectDelayMs?: number
  /** Pause before a recovery whose store read failed tries again (ms). */
  recoveryRetryMs?: number
}

const DEFAULT_HEARTBEAT_MS = 5000

export class RedisLiveBus implements LiveBus {
  /** This process's id on the bus: its own write notices come back to it and are ignored. */
  readonly origin = randomUUID()
  readonly channel: string
  private readonly pub: Redis
  private readonly sub: Redis
  private readonly live = new ListenerSet<LiveMessage>()
  private readonly writes = new ListenerSet<WriteNotice>()
  private readonly recovery: BusRecovery
  private readonly heartbeat: NodeJS.Timeout
  private subscribed = false
  private everSubscribed = false
  /** A publish failed since the last gap message went out. */
  private gapPending = false
  private downLogged = false
  private closed = false
  private readonly counters = { published: 0, received: 0, failed: 0, invalid: 0, reconnects: 0 }

  constructor (private readonly opts: RedisLiveBusOptions) {
    this.channel = `${opts.prefix}live`
    this.recovery = new BusRecovery({
      store: opts.store,
      deliver: (msg) => this.live.emit(msg),
      applyWrite: (notice) => this.writes.emit(notice),
      hasListeners: () => this.live.size > 0,
      publishLimit: opts.publishLimit,
      log: opts.log,
      retryDelayMs: opts.recoveryRetryMs
    })
    // Until the first subscription nothing is received; what is stored meanwhile is made good then.
    this.recovery.interrupted()
    const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS
    const client = (name: string) => openRedis(opts.url, {
      name,
      commandTimeoutMs: heartbeatMs,
      maxDelayMs: opts.maxReconnectDelayMs,
      // Subscribed by hand on every (re)connection, to know when messages flow again.
      extra: { autoResubscribe: false }
    })
    this.pub = client('tv-api-bus-pub')
    this.sub = client('tv-api-bus-sub')
    for (const conn of [this.pub, this.sub]) conn.on('error', (err: Error) => this.connectionError(err))
    this.pub.on('ready', () => this.pubReady())
    this.sub.on('ready', () => { void this.subReady() })
    this.sub.on('close', () => this.subClosed())
    this.sub.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.receive(text)
    })
    // A connection can stay open while the server no longer answers (a partition, a stopped
    // host): each must answer a PING within the heartbeat, or it is dropped and made again.
    this.heartbeat = setInterval(() => {
      for (const conn of [this.pub, this.sub]) {
        if (conn.status !== 'ready') continue
        conn.ping().catch(() => {
          if (!this.closed && conn.status === 'ready') conn.disconnect(true)
        })
      }
    }, heartbeatMs)
    this.heartbeat.unref()
  }

  publish (msg: LiveMessage): void {
    this.send(msg)
  }

  subscribe (listener: LiveListener): () => void {
    return this.live.add(listener)
  }

  publishWrite (notice: WriteNotice): void {
    this.send({ type: 'write', symbols: notice.symbols, ranges: notice.ranges })
  }

  subscribeWrites (listener: WriteNoticeListener): () => void {
    return this.writes.add(listener)
  }

  ready (): boolean {
    return this.subscribed && this.pub.status === 'ready'
  }

  status (): BusStatus {
    return {
      kind: 'redis',
      connected: this.ready(),
      published_total: this.counters.published,
      received_total: this.counters.received,
      publish_failed_total: this.counters.failed,
      invalid_total: this.counters.invalid,
      reconnects_total: this.counters.reconnects,
      recoveries_total: this.recovery.recoveries,
      recovered_finals_total: this.recovery.recoveredFinals,
      listener_errors_total: this.live.errors + this.writes.errors
    }
  }

  /** Resolves when no recovery is running (tests). */
  idle (): Promise<void> {
    return this.recovery.idle()
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.heartbeat)
    this.recovery.close()
    this.live.clear()
    this.writes.clear()
    await Promise.all([closeRedis(this.pub), closeRedis(this.sub)])
  }

  private send (payload: BusPayload): void {
    if (this.closed) return
    this.counters.published++
    if (this.gapPending && this.pub.status === 'ready') this.sendGap()
    this.pub.publish(this.channel, encodeBusMessage(this.origin, payload)).catch(() => this.publishFailed())
  }

  private publishFailed (): void {
    this.counters.failed++
    this.gapPending = true
  }

  private sendGap (): void {
    this.gapPending = false
    this.pub.publish(this.channel, encodeBusMessage(this.origin, { type: 'gap' })).catch(() => this.publishFailed())
  }

  private pubReady (): void {
    if (this.gapPending) this.sendGap()
  }

  private async subReady (): Promise<void> {
    try {
      await this.sub.subscribe(this.channel)
    } catch {
      // The connection dropped again before the subscription was confirmed; its close event
      // brings the next attempt.
      return
    }
    if (this.closed) return
    this.subscribed = true
    if (this.everSubscribed) this.counters.reconnects++
    this.everSubscribed = true
    if (this.downLogged) this.opts.log.info({ channel: this.channel }, 'live bus connected to Redis again')
    this.downLogged = false
    void this.recovery.recover()
  }

  private subClosed (): void {
    if (this.closed) return
    if (this.subscribed) this.opts.log.warn({ channel: this.channel }, 'live bus lost its Redis connection; reconnecting')
    this.subscribed = false
    this.recovery.interrupted()
  }

  private connectionError (err: Error): void {
    // ioredis reports every failed attempt; one line per outage is enough.
    if (this.closed || this.downLogged) return
    this.downLogged = true
    this.opts.log.warn({ err: err.message, url: redactUrl(this.opts.url) }, 'live bus cannot reach Redis; retrying')
  }

  private receive (text: string): void {
    this.counters.received++
    const envelope = decodeBusMessage(text)
    if (envelope === undefined) {
      if (this.counters.invalid++ === 0) this.opts.log.warn({ channel: this.channel, sample: text.slice(0, 200) }, 'dropped a message on the live bus channel that is not a bus message')
      return
    }
    const { origin, payload } = envelope
    if (payload.type === 'gap') {
      void this.recovery.recover()
      return
    }
    if (payload.type === 'write' && origin === this.origin) return
    this.recovery.receive(payload)
  }
}
