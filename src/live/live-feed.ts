// Turns the ingestor's 1m messages into per-topic messages for every active (symbol, interval):
// 1m passes through, higher intervals are aggregated live, partials are throttled per topic (the
// newest value wins and the final is never dropped), and each message is serialised once for all
// its clients and handed to the sink (the hub). Bus delivery only queues work, so publishing never
// waits on clients. Activation is not counted here: the hub's subscription index activates a topic
// when it gains its first listener and deactivates it when it loses its last.
import type { Candle, CandleTuple } from '../domain/candle.js'
import { BASE_INTERVAL, type Interval } from '../domain/intervals.js'
import type { Log } from '../log.js'
import { KeyedSerialQueue } from '../async/keyed-serial-queue.js'
import { TurnBatcher } from '../async/turn-batcher.js'
import type { CandleStore } from '../store/candle-store.js'
import { BarAggregator } from './bar-aggregator.js'
import type { LiveBus, LiveMessage } from './live-bus.js'
import { candleMessage, topicKey } from './protocol.js'

export interface TopicSink {
  /** A serialised candle message for every client of `topic`. */
  topic (topic: string, text: string): void
  /** A serialised message for every client (resync_done). */
  all (text: string): void
}

export interface LiveFeedOptions {
  bus: LiveBus
  store: CandleStore
  emitPartials: boolean
  partialThrottleMs: number
  log: Log
  /** The throttle's clock and timers; the process's own unless a test drives them. */
  timers?: ThrottleTimers
}

export interface ThrottleTimers {
  now (): number
  setTimeout (fn: () => void, ms: number): unknown
  clearTimeout (handle: unknown): void
}

const SYSTEM_TIMERS: ThrottleTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined)
}

interface Topic {
  key: string
  symbol: string
  interval: Interval
  aggregator?: BarAggregator
  /** Open time of the newest final sent, so nothing older goes out after it. */
  lastFinal?: number
  lastPartialAt: number
  pending?: CandleTuple
  timer?: unknown
}

export class LiveFeed {
  private readonly topics = new Map<string, Topic>()
  /** Per symbol: the serialised processing of its 1m messages by the aggregators. */
  private readonly aggregation = new KeyedSerialQueue()
  /** Bus messages wait here for the next turn, so a publisher never runs the fan-out. */
  private readonly inbox = new TurnBatcher<LiveMessage>((batch) => this.drain(batch))
  private readonly timers: ThrottleTimers
  private sink?: TopicSink
  private unsubscribe?: () => void
  messages = 0

  constructor (private readonly opts: LiveFeedOptions) {
    this.timers = opts.timers ?? SYSTEM_TIMERS
  }

  /** Starts listening to the bus; every message produced from then on goes to `sink`. */
  connect (sink: TopicSink): void {
    if (this.sink !== undefined) throw new Error('the live feed already has a sink')
    this.sink = sink
    this.unsubscribe = this.opts.bus.subscribe((msg) => this.inbox.push(msg))
  }

  /** Starts producing a topic; activating an active topic changes nothing. */
  activate (symbol: string, interval: Interval): void {
    const key = topicKey(symbol, interval)
    if (this.topics.has(key)) return
    const topic: Topic = { key, symbol, interval, lastPartialAt: 0 }
    if (interval !== BASE_INTERVAL) {
      topic.aggregator = new BarAggregator(symbol, interval, this.opts.store, (bar, final) => this.send(topic, bar, final))
    }
    this.topics.set(key, topic)
  }

  /** Stops producing a topic: its pending partial and its aggregation are dropped. */
  deactivate (symbol: string, interval: Interval): void {
    const key = topicKey(symbol, interval)
    const t = this.topics.get(key)
    if (t === undefined) return
    this.timers.clearTimeout(t.timer)
    this.topics.delete(key)
  }

  get activeTopics (): number {
    return this.topics.size
  }

  private drain (batch: LiveMessage[]): void {
    for (const msg of batch) {
      this.messages++
      if (msg.type === 'resync_done') {
        this.afterSymbols(msg.symbols, () => this.sink!.all(JSON.stringify(msg)))
        continue
      }
      this.onMinute(msg.candle, msg.final)
    }
  }

  private onMinute (c: Candle, final: boolean): void {
    const base = this.topics.get(topicKey(c.symbol, BASE_INTERVAL))
    if (base !== undefined) this.send(base, [c.ts, c.open, c.high, c.low, c.close, c.volume], final)
    const aggregators = [...this.topics.values()].filter((t) => t.symbol === c.symbol && t.aggregator !== undefined)
    if (aggregators.length === 0) return
    // Jobs never reject: a failing aggregator is logged and the others still get the minute.
    void this.aggregation.run(c.symbol, async () => {
      for (const t of aggregators) {
        if (this.topics.get(t.key) !== t) continue
        try {
          await t.aggregator!.onMinute(c, final)
        } catch (err) {
          this.opts.log.error({ topic: t.key, err }, 'live aggregation failed')
        }
      }
    })
  }

  /** Runs `fn` once the aggregations already queued for these symbols are out, to keep order. */
  private afterSymbols (symbols: readonly string[], fn: () => void): void {
    if (symbols.some((s) => this.aggregation.busy(s))) void this.aggregation.idle(symbols).then(fn)
    else fn()
  }

  private send (t: Topic, bar: CandleTuple, final: boolean): void {
    if (this.topics.get(t.key) !== t) return
    if (final) {
      if (t.lastFinal !== undefined && bar[0] <= t.lastFinal) return
      t.lastFinal = bar[0]
      if (t.pending !== undefined && t.pending[0] <= bar[0]) {
        this.timers.clearTimeout(t.timer)
        t.timer = undefined
        t.pending = undefined
      }
      this.sink!.topic(t.key, candleMessage(t.symbol, t.interval, bar, true))
      return
    }
    if (!this.opts.emitPartials || (t.lastFinal !== undefined && bar[0] <= t.lastFinal)) return
    const throttle = this.opts.partialThrottleMs
    const now = this.timers.now()
    if (throttle === 0 || (t.timer === undefined && now - t.lastPartialAt >= throttle)) {
      t.lastPartialAt = now
      this.sink!.topic(t.key, candleMessage(t.symbol, t.interval, bar, false))
      return
    }
    // Inside the throttle window: keep only the newest partial and send it when the window ends.
    t.pending = bar
    t.timer ??= this.timers.setTimeout(() => {
      t.timer = undefined
      const p = t.pending
      t.pending = undefined
      if (p === undefined || this.topics.get(t.key) !== t) return
      t.lastPartialAt = this.timers.now()
      this.sink!.topic(t.key, candleMessage(t.symbol, t.interval, p, false))
    }, Math.max(0, throttle - (now - t.lastPartialAt)))
  }

  /** Resolves when queued messages and aggregations have been processed (tests, shutdown). */
  async idle (): Promise<void> {
    await this.inbox.idle()
    await this.aggregation.idle()
  }

  close (): void {
    this.unsubscribe?.()
    for (const t of this.topics.values()) this.timers.clearTimeout(t.timer)
    this.topics.clear()
  }
}
