// SerialQueue: jobs run one at a time in submission order, a rejection reaches only its caller,
// and size/idle describe what is still queued.
import t from 'tap'
import { SerialQueue } from '../../src/async/serial-queue.js'

function gate (): { promise: Promise<void>, open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => { open = resolve })
  return { promise, open }
}

t.test('runs jobs one at a time in order; a failure does not stop later jobs', async (t) => {
  const q = new SerialQueue()
  const events: string[] = []
  const first = gate()
  const a = q.run(async () => { events.push('a start'); await first.promise; events.push('a end'); return 1 })
  const b = q.run(async () => { events.push('b'); throw new Error('b failed') })
  const c = q.run(async () => { events.push('c'); return 3 })
  t.equal(q.size, 3)
  await new Promise((resolve) => setImmediate(resolve))
  t.same(events, ['a start'], 'the second job waits for the first')
  first.open()
  t.equal(await a, 1)
  await t.rejects(b, /b failed/)
  t.equal(await c, 3)
  t.same(events, ['a start', 'a end', 'b', 'c'])
  await q.idle()
  t.equal(q.size, 0)
})

t.test('idle waits for queued jobs and does not reject when one failed', async (t) => {
  const q = new SerialQueue()
  const done: number[] = []
  q.run(async () => { throw new Error('x') }).catch(() => {})
  void q.run(async () => { done.push(1) })
  await q.idle()
  t.same(done, [1])
  t.equal(q.size, 0)
})
