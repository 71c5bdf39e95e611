// The subscription index's reference counting and its audiences, against an activation that
// records every switch.
import t from 'tap'
import type { Interval } from '../../src/domain/intervals.js'
import { SubscriptionIndex, type TopicActivation } from '../../src/live/subscription-index.js'

function recorder (): TopicActivation & { log: string[] } {
  const log: string[] = []
  return {
    log,
    activate: (symbol: string, interval: Interval) => { log.push(`+${symbol}|${interval}`) },
    deactivate: (symbol: string, interval: Interval) => { log.push(`-${symbol}|${interval}`) }
  }
}

function recipients<C> (index: SubscriptionIndex<C>, key: string): C[] {
  const out: C[] = []
  index.forEachRecipient(key, (c) => out.push(c))
  return out
}

t.test('the first subscriber of a topic activates it and the last one to leave deactivates it', async (t) => {
  const feed = recorder()
  const index = new SubscriptionIndex<string>(feed)
  index.subscribe('a', 'BTCUSDT', '5m')
  index.subscribe('b', 'BTCUSDT', '5m')
  index.subscribe('b', 'BTCUSDT', '5m')
  t.same(feed.log, ['+BTCUSDT|5m'], 'activated once')
  t.equal(index.subscriptions, 2, 'a repeated subscribe counts once')
  t.equal(index.topics, 1)
  t.same(recipients(index, 'BTCUSDT|5m'), ['a', 'b'])
  index.unsubscribe('a', 'BTCUSDT|5m')
  index.unsubscribe('a', 'BTCUSDT|5m')
  t.same(feed.log, ['+BTCUSDT|5m'], 'still held by b')
  t.equal(index.subscriptions, 1)
  index.unsubscribe('b', 'BTCUSDT|5m')
  t.same(feed.log, ['+BTCUSDT|5m', '-BTCUSDT|5m'])
  t.equal(index.topics, 0)
  t.equal(index.subscriptions, 0)
  t.same(recipients(index, 'BTCUSDT|5m'), [], 'nobody')
  index.unsubscribe('c', 'ETHUSDT|1m')
  t.same(feed.log, ['+BTCUSDT|5m', '-BTCUSDT|5m'], 'leaving a topic never held changes nothing')
})

t.test('broadcast topics are held for good and reach the clients that never subscribed', async (t) => {
  const feed = recorder()
  const index = new SubscriptionIndex<string>(feed, [{ symbol: 'BTCUSDT', interval: '1m' }, { symbol: 'ETHUSDT', interval: '1m' }, { symbol: 'BTCUSDT', interval: '1m' }])
  t.same(feed.log, ['+BTCUSDT|1m', '+ETHUSDT|1m'], 'each activated once, at once')
  t.equal(index.topics, 2)
  index.join('quiet')
  index.join('sub')
  index.endBroadcast('sub')
  index.subscribe('sub', 'BTCUSDT', '1m')
  index.subscribe('sub', 'ETHUSDT', '1h')
  t.same(recipients(index, 'BTCUSDT|1m'), ['sub', 'quiet'], 'subscribers, then the broadcast audience')
  t.same(recipients(index, 'ETHUSDT|1m'), ['quiet'])
  t.same(recipients(index, 'ETHUSDT|1h'), ['sub'], 'a topic that is not broadcast goes to its subscribers only')
  index.unsubscribe('sub', 'BTCUSDT|1m')
  t.same(feed.log, ['+BTCUSDT|1m', '+ETHUSDT|1m', '+ETHUSDT|1h'], 'a broadcast topic stays active without subscribers')
  t.same(recipients(index, 'BTCUSDT|1m'), ['quiet'], 'and a client that unsubscribed does not return to broadcast')
  index.leave('sub', ['ETHUSDT|1h', 'BTCUSDT|1m'])
  index.leave('quiet', [])
  t.same(feed.log.at(-1), '-ETHUSDT|1h', 'leaving drops the topics the client held')
  t.same(recipients(index, 'ETHUSDT|1m'), [], 'and the broadcast audience')
  t.equal(index.subscriptions, 0)
  t.equal(index.topics, 2, 'the broadcast topics remain')
})
