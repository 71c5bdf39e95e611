// Who receives each topic, and whether anybody does. A topic is produced (activated in the feed)
// while it has at least one holder: each subscribed client holds it once, and a broadcast topic
// is held for the hub's whole life, for the clients that never subscribe. The first holder
// activates the topic and the last one to leave deactivates it, so the feed never counts.
// Each client keeps its own list of topics (for its limit and its unsubscribes); this index is the
// reverse view, topic to clients, that fan-out reads.
import type { Interval } from '../domain/intervals.js'
import { topicKey } from './protocol.js'

/** What the index switches on and off: the feed's production of a topic. */
export interface TopicActivation {
  activate (symbol: string, interval: Interval): void
  deactivate (symbol: string, interval: Interval): void
}

export interface TopicName {
  symbol: string
  interval: Interval
}

interface Entry<C> extends TopicName {
  subscribers: Set<C>
  /** A broadcast topic: held for the hub's life, and sent to the broadcast audience too. */
  pinned: boolean
}

export class SubscriptionIndex<C> {
  private readonly entries = new Map<string, Entry<C>>()
  /** Clients that never subscribed: they get the broadcast topics. */
  private readonly broadcastAudience = new Set<C>()
  private subscriptionCount = 0

  constructor (private readonly activation: TopicActivation, broadcastTopics: readonly TopicName[] = []) {
    for (const t of broadcastTopics) {
      const key = topicKey(t.symbol, t.interval)
      if (this.entries.has(key)) continue
      this.entries.set(key, { symbol: t.symbol, interval: t.interval, subscribers: new Set(), pinned: true })
      activation.activate(t.symbol, t.interval)
    }
  }

  /** A new client: it gets the broadcast topics until its first subscribe. */
  join (client: C): void {
    this.broadcastAudience.add(client)
  }

  /** The client's first subscribe: from now on it gets only its own topics. */
  endBroadcast (client: C): void {
    this.broadcastAudience.delete(client)
  }

  /** Adds one subscriber to a topic; the topic's first holder activates it. */
  subscribe (client: C, symbol: string, interval: Interval): void {
    const key = topicKey(symbol, interval)
    let entry = this.entries.get(key)
    if (entry === undefined) {
      entry = { symbol, interval, subscribers: new Set(), pinned: false }
      this.entries.set(key, entry)
      this.activation.activate(symbol, interval)
    }
    if (entry.subscribers.has(client)) return
    entry.subscribers.add(client)
    this.subscriptionCount++
  }

  /** Removes one subscriber; a topic nobody holds any more is deactivated. */
  unsubscribe (client: C, key: string): void {
    const entry = this.entries.get(key)
    if (entry?.subscribers.delete(client) !== true) return
    this.subscriptionCount--
    if (entry.subscribers.size > 0 || entry.pinned) return
    this.entries.delete(key)
    this.activation.deactivate(entry.symbol, entry.interval)
  }

  /** A client that went away: out of the broadcast audience and every topic it held. */
  leave (client: C, topics: Iterable<string>): void {
    this.broadcastAudience.delete(client)
    for (const key of topics) this.unsubscribe(client, key)
  }

  /** Calls `fn` for every subscriber of a topic and, for a broadcast topic, every never-subscribed client. */
  forEachRecipient (key: string, fn: (client: C) => void): void {
    const entry = this.entries.get(key)
    if (entry === undefined) return
    for (const c of entry.subscribers) fn(c)
    if (entry.pinned) for (const c of this.broadcastAudience) fn(c)
  }

  /** Client-topic pairs, over every client. */
  get subscriptions (): number {
    return this.subscriptionCount
  }

  /** Topics somebody holds (the ones the feed produces). */
  get topics (): number {
    return this.entries.size
  }
}
