// KeyedSerialQueue: order within a key, independence across keys, failures contained, and keys
// forgotten once idle so the map does not grow with every key ever seen.
import t from 'tap'
import { KeyedSerialQueue } from '../../src/async/keyed-serial-queue.js'

function gate (): { promise: Promise<void>, open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => { open = resolve })
  return { promise, open }
}

t.test('orders jobs per key, runs keys independently, prunes idle keys', async (t) => {
  const q = new KeyedSerialQueue()
  const events: string[] = []
  const held = gate()
  const a1 = q.run('A', async () => { await held.promise; events.push('A1') })
  const a2 = q.run('A', async () => { events.push('A2'); throw new Error('A2 failed') })
  const a3 = q.run('A', async () => { events.push('A3'); return 'a3' })
  const b1 = q.run('B', async () => { events.push('B1'); return 'b1' })
  t.equal(q.size, 2)
  t.ok(q.busy('A') && q.busy('B'))
  t.equal(await b1, 'b1')
  t.same(events, ['B1'], 'B does not wait for A')
  await q.idle(['B'])
  t.notOk(q.busy('B'), 'B is forgotten once its jobs settled')
  t.ok(q.busy('A'))
  held.open()
  await a1
  await t.rejects(a2, /A2 failed/)
  t.equal(await a3, 'a3')
  t.same(events, ['B1', 'A1', 'A2', 'A3'])
  await q.idle()
  t.equal(q.size, 0, 'no key is kept after its work is done')
})

t.test('idle over keys with nothing queued resolves at once', async (t) => {
  const q = new KeyedSerialQueue()
  await q.idle(['nothing'])
  await q.idle()
  t.equal(q.size, 0)
})

t.test('many distinct keys leave nothing behind', async (t) => {
  const q = new KeyedSerialQueue()
  const runs = Array.from({ length: 1000 }, (_, i) => q.run(`K${i}`, async () => i))
  t.equal(q.size, 1000)
  t.same(await Promise.all(runs), Array.from({ length: 1000 }, (_, i) => i))
  await q.idle()
  t.equal(q.size, 0)
})
