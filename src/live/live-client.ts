// One /ws client: its bounded send queue, the topics it asked for, the live messages it holds back
// behind a pending snapshot, its inbound frame budget and when it last answered a ping. Messages
// go straight to the socket while it keeps up; once the socket holds more than FLUSH_THRESHOLD
// unsent bytes they wait in this queue instead. A queue over its message or byte limit, or one
// that has not drained for the stall timeout, closes the client with 1013, so a slow reader only
// ever costs its own memory. The hub decides what a client gets; only this class writes to it.
import type { WebSocket } from 'ws'
import { InboundBudget, type InboundVerdict } from './inbound-budget.js'

export const CLOSE_GOING_AWAY = 1001
export const CLOSE_POLICY = 1008
export const CLOSE_TOO_BIG = 1009
export const CLOSE_TRY_AGAIN_LATER = 1013

/** Unsent bytes the socket may hold before messages wait in the client's own queue. */
const FLUSH_THRESHOLD = 64 * 1024
const TEXT_FRAME = { binary: false }
/** Messages at least this long always report when they are written out (see write()). */
const TRACKED_BYTES = 16 * 1024
/** How long a closing client gets to finish the close handshake before it is cut off. */
const CLOSE_GRACE_MS = 2000

export type CloseCause = 'backpressure' | 'pong_timeout' | 'limit' | 'shutdown' | 'client'

export interface ClientLimits {
  maxQueuedMessages: number
  maxQueuedBytes: number
  stallTimeoutMs: number
}

export interface ClientCounters {
  messagesSent: number
  bytesSent: number
}

export interface LiveClientOptions {
  limits: ClientLimits
  /** Shared by every client of a hub: what all of them were sent. */
  counters: ClientCounters
  /** The clock of pongs, stalls and the inbound budget. */
  now: () => number
  /** Called once, with the reason the connection is ending. */
  onCause: (client: LiveClient, cause: CloseCause) => void
}

/** The outcome of a subscribe: newly added, already there, or refused for the limit. */
export type SubscribeOutcome = 'added' | 'present' | 'full'

const EMPTY: ReadonlySet<string> = new Set()

export class LiveClient {
  closing?: CloseCause
  /** Topics this client subscribed to; undefined until its first subscribe (broadcast mode). */
  private ownTopics?: Set<string>
  /** Topics whose snapshot is being read; their live messages wait here to keep order. */
  private readonly held = new Map<string, Buffer[]>()
  private readonly budget: InboundBudget
  private lastPongAt: number
  private queue: Buffer[] = []
  private queuedBytes = 0
  private lastProgressAt: number
  private readonly limits: ClientLimits
  private readonly counters: ClientCounters
  private readonly now: () => number
  private readonly written = () => {
    this.lastProgressAt = this.now()
    this.flush()
  }

  constructor (readonly socket: WebSocket, readonly id: number, private readonly opts: LiveClientOptions) {
    this.limits = opts.limits
    this.counters = opts.counters
    this.now = opts.now
    const now = this.now()
    this.budget = new InboundBudget(now)
    this.lastPongAt = now
    this.lastProgressAt = now
  }

  get queuedMessages (): number {
    return this.queue.length
  }

  /** False until the first subscribe: until then the client gets the broadcast topics. */
  get subscribed (): boolean {
    return this.ownTopics !== undefined
  }

  get topics (): ReadonlySet<string> {
    return this.ownTopics ?? EMPTY
  }

  /** Ends broadcast mode even when the subscribe itself is refused, as the first subscribe always did. */
  subscribe (topic: string, maxTopics: number): SubscribeOutcome {
    this.ownTopics ??= new Set()
    if (this.ownTopics.has(topic)) return 'present'
    if (this.ownTopics.size >= maxTopics) return 'full'
    this.ownTopics.add(topic)
    return 'added'
  }

  /** True when the client had the topic; what it held back for it is dropped. */
  unsubscribe (topic: string): boolean {
    if (this.ownTopics?.delete(topic) !== true) return false
    this.held.delete(topic)
    return true
  }

  /** Holds the topic's live messages back while its snapshot is read; false if already held. */
  hold (topic: string): boolean {
    if (this.held.has(topic)) return false
    this.held.set(topic, [])
    return true
  }

  /** Sends what was held back for the topic (after its snapshot) and stops holding it. */
  release (topic: string): void {
    const held = this.held.get(topic)
    if (held === undefined) return
    this.held.delete(topic)
    for (const data of held) this.send(data)
  }

  /** Charges one inbound frame against the client's budget. */
  takeInbound (): InboundVerdict {
    return this.budget.take(this.now())
  }

  notePong (): void {
    this.lastPongAt = this.now()
  }

  /** True when no pong came for longer than `timeoutMs`. */
  pongOverdue (timeoutMs: number): boolean {
    return this.now() - this.lastPongAt > timeoutMs
  }

  /**
   * Queues or writes one text frame; never blocks. Fan-out passes the same encoded Buffer to every
   * client, so a message is turned into bytes once, not once per socket.
   */
  send (message: string | Buffer): void {
    if (this.closing !== undefined || this.socket.readyState !== this.socket.OPEN) return
    const data = typeof message === 'string' ? Buffer.from(message) : message
    if (this.queue.length === 0 && this.socket.bufferedAmount < FLUSH_THRESHOLD) {
      this.write(data)
      return
    }
    if (this.queue.length === 0) this.lastProgressAt = this.now()
    this.queue.push(data)
    this.queuedBytes += data.length
    if (this.queue.length > this.limits.maxQueuedMessages || this.queuedBytes + this.socket.bufferedAmount > this.limits.maxQueuedBytes) {
      this.close(CLOSE_TRY_AGAIN_LATER, 'backpressure: the client does not read fast enough', 'backpressure')
    }
  }

  /** Topic messages go through here so a pending snapshot of the topic is not overtaken. */
  deliver (topic: string, data: Buffer): void {
    const held = this.held.get(topic)
    if (held !== undefined) held.push(data)
    else this.send(data)
  }

  /**
   * A write callback costs a tick per socket per message, and fan-out writes thousands of sockets
   * at once. It is only needed to notice when a backed-up socket drains, so only writes made while
   * the socket still holds unsent bytes (or large ones) ask for it. Unsent bytes then always
   * include a tracked write: an untracked one starts from an empty socket and is under
   * TRACKED_BYTES, so the queue (which waits for FLUSH_THRESHOLD bytes) never waits for nothing.
   */
  private write (data: Buffer): void {
    this.counters.messagesSent++
    this.counters.bytesSent += data.length
    const tracked = this.socket.bufferedAmount > 0 || data.length >= TRACKED_BYTES
    this.socket.send(data, TEXT_FRAME, tracked ? this.written : undefined)
  }

  private flush (): void {
    while (this.queue.length > 0 && this.socket.bufferedAmount < FLUSH_THRESHOLD && this.closing === undefined) {
      const data = this.queue.shift()!
      this.queuedBytes -= data.length
      this.write(data)
    }
  }

  /** True when messages have waited longer than the stall timeout without the socket draining. */
  stalled (): boolean {
    return this.queue.length > 0 && this.now() - this.lastProgressAt > this.limits.stallTimeoutMs
  }

  /** Sends a close frame and cuts the connection if the handshake does not finish in time. */
  close (code: number, reason: string, cause: CloseCause): void {
    if (this.closing !== undefined) return
    this.markClosing(cause)
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, reason)
    }
  }

  /**
   * Records why the connection is ending (also when ws closes it itself, e.g. for an oversized
   * frame) and guarantees it ends: a peer that never answers the close handshake is cut off.
   */
  markClosing (cause: CloseCause): void {
    if (this.closing !== undefined) return
    this.closing = cause
    this.queue = []
    this.queuedBytes = 0
    this.opts.onCause(this, cause)
    const timer = setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS)
    timer.unref()
    this.socket.once('close', () => clearTimeout(timer))
  }
}
