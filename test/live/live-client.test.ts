// One client's send queue, topics, held messages and inbound budget, over a socket double whose
// unsent byte count the test sets and a clock the test moves.
import { EventEmitter } from 'node:events'
import t from 'tap'
import type { WebSocket } from 'ws'
import { INBOUND_BURST, INBOUND_OVERRUN_CLOSE } from '../../src/live/inbound-budget.js'
import { LiveClient, type ClientLimits, type CloseCause } from '../../src/live/live-client.js'
import { ManualTimers } from './manual-timers.js'

/** What LiveClient uses of a ws socket; writes are recorded, and `bufferedAmount` is what the test says. */
class SocketDouble extends EventEmitter {
  readonly CONNECTING = 0
  readonly OPEN = 1
  readonly CLOSED = 3
  readyState = 1
  bufferedAmount = 0
  readonly sent: string[] = []
  readonly callbacks: Array<() => void> = []
  closedWith?: { code: number, reason: string }
  terminated = false

  send (data: Buffer, _opts: unknown, cb?: () => void): void {
    this.sent.push(data.toString())
    if (cb !== undefined) this.callbacks.push(cb)
  }

  close (code: number, reason: string): void {
    this.closedWith = { code, reason }
  }

  terminate (): void {
    this.terminated = true
    this.readyState = this.CLOSED
    this.emit('close')
  }
}

function client (limits: Partial<ClientLimits> = {}) {
  const socket = new SocketDouble()
  const clock = new ManualTimers(1_000_000)
  const causes: CloseCause[] = []
  const counters = { messagesSent: 0, bytesSent: 0 }
  const c = new LiveClient(socket as unknown as WebSocket, 1, {
    limits: { maxQueuedMessages: 3, maxQueuedBytes: 1_000_000, stallTimeoutMs: 500, ...limits },
    counters,
    now: clock.now,
    onCause: (_c, cause) => causes.push(cause)
  })
  return { c, socket, clock, causes, counters }
}

t.test('writes go straight out while the socket keeps up, then wait in the queue and drain in order', async (t) => {
  const { c, socket, counters } = client()
  c.send('a')
  t.same(socket.sent, ['a'])
  t.same(counters, { messagesSent: 1, bytesSent: 1 })
  t.equal(socket.callbacks.length, 0, 'a small write to an empty socket asks for no callback')
  // A write made while bytes are unsent asks for a callback, and its completion drains the queue.
  socket.bufferedAmount = 10
  c.send('b')
  t.equal(socket.callbacks.length, 1, 'tracked: the socket held unsent bytes')
  socket.bufferedAmount = 64 * 1024
  c.send('c')
  c.send('d')
  t.equal(c.queuedMessages, 2, 'a backed-up socket: messages wait')
  t.same(socket.sent, ['a', 'b'])
  socket.bufferedAmount = 0
  socket.callbacks.shift()!()
  t.same(socket.sent, ['a', 'b', 'c', 'd'], 'drained in order on the write callback')
  t.equal(c.queuedMessages, 0)
  t.same(counters, { messagesSent: 4, bytesSent: 4 })
})

t.test('a queue over its message limit closes the client with 1013, once', async (t) => {
  const { c, socket, causes } = client()
  socket.bufferedAmount = 64 * 1024
  for (let i = 0; i < 4; i++) c.send(`m${i}`)
  t.same(socket.closedWith, { code: 1013, reason: 'backpressure: the client does not read fast enough' })
  t.same(causes, ['backpressure'])
  t.equal(c.queuedMessages, 0, 'the queue is let go')
  c.send('late')
  c.close(1001, 'again', 'shutdown')
  t.same(causes, ['backpressure'], 'the cause is recorded once')
  t.equal(socket.sent.length, 0)
})

t.test('a queue over its byte limit closes the client too', async (t) => {
  const { c, socket, causes } = client({ maxQueuedMessages: 100, maxQueuedBytes: 64 * 1024 + 10 })
  socket.bufferedAmount = 64 * 1024
  c.send('12345')
  t.same(causes, [])
  c.send('678901')
  t.same(causes, ['backpressure'])
  t.equal(socket.closedWith?.code, 1013)
})

t.test('stalled: messages waiting longer than the stall timeout on the client\'s clock', async (t) => {
  const { c, socket, clock } = client()
  t.notOk(c.stalled(), 'nothing queued')
  socket.bufferedAmount = 64 * 1024
  c.send('a')
  clock.advance(500)
  t.notOk(c.stalled(), 'at the timeout')
  clock.advance(1)
  t.ok(c.stalled(), 'past it')
})

t.test('topics: the first subscribe ends broadcast mode, the limit holds, held messages follow the snapshot', async (t) => {
  const { c, socket } = client()
  t.notOk(c.subscribed)
  t.equal(c.subscribe('BTCUSDT|1m', 0), 'full', 'refused for the limit')
  t.ok(c.subscribed, 'yet out of broadcast mode')
  t.equal(c.subscribe('BTCUSDT|1m', 2), 'added')
  t.equal(c.subscribe('BTCUSDT|1m', 2), 'present')
  t.equal(c.subscribe('BTCUSDT|5m', 2), 'added')
  t.equal(c.subscribe('BTCUSDT|1h', 2), 'full')
  t.same([...c.topics], ['BTCUSDT|1m', 'BTCUSDT|5m'])

  t.ok(c.hold('BTCUSDT|5m'))
  t.notOk(c.hold('BTCUSDT|5m'), 'one snapshot at a time per topic')
  c.deliver('BTCUSDT|5m', Buffer.from('live-1'))
  c.deliver('BTCUSDT|1m', Buffer.from('other'))
  c.send('snapshot')
  c.release('BTCUSDT|5m')
  t.same(socket.sent, ['other', 'snapshot', 'live-1'], 'the held message after the snapshot')

  c.hold('BTCUSDT|1m')
  c.deliver('BTCUSDT|1m', Buffer.from('dropped'))
  t.ok(c.unsubscribe('BTCUSDT|1m'))
  t.notOk(c.unsubscribe('BTCUSDT|1m'))
  c.release('BTCUSDT|1m')
  t.equal(socket.sent.at(-1), 'live-1', 'unsubscribing drops what was held')
  t.same([...c.topics], ['BTCUSDT|5m'])
})

t.test('inbound budget: a burst, a refill on the clock, then a close after many overruns', async (t) => {
  const { c, clock } = client()
  const verdicts = Array.from({ length: INBOUND_BURST }, () => c.takeInbound())
  t.ok(verdicts.every((v) => v === 'accept'), `a burst of ${INBOUND_BURST}`)
  t.equal(c.takeInbound(), 'drop')
  clock.advance(100)
  t.equal(c.takeInbound(), 'accept', 'one more after 100 ms')
  t.equal(c.takeInbound(), 'drop')
  for (let overrun = 3; overrun < INBOUND_OVERRUN_CLOSE; overrun++) t.equal(c.takeInbound(), 'drop')
  t.equal(c.takeInbound(), 'close', `the ${INBOUND_OVERRUN_CLOSE}th overrun`)
})

t.test('keepalive: a pong is overdue after the timeout on the client\'s clock', async (t) => {
  const { c, clock } = client()
  clock.advance(200)
  t.notOk(c.pongOverdue(200))
  clock.advance(1)
  t.ok(c.pongOverdue(200))
  c.notePong()
  t.notOk(c.pongOverdue(200))
})

t.test('a peer that never finishes the close handshake is cut off', async (t) => {
  const { c, socket } = client()
  c.close(1001, 'bye', 'shutdown')
  t.same(socket.closedWith, { code: 1001, reason: 'bye' })
  // The grace timer is unref'd (it must not hold a server open); this keeps the test alive meanwhile.
  const alive = setInterval(() => {}, 1000)
  await new Promise((resolve) => socket.once('close', resolve))
  clearInterval(alive)
  t.ok(socket.terminated, 'terminated after the grace period')
})
