import t from 'tap'
import { abortable } from '../../src/async/abortable.js'

t.test('a query that ends on its own gives its value, and stop is never called', async (t) => {
  let stops = 0
  const signal = new AbortController().signal
  t.equal(await abortable(signal, () => { stops++ }, async () => 42), 42)
  t.equal(stops, 0)
})

t.test('an already aborted signal rejects without running the query', async (t) => {
  const controller = new AbortController()
  controller.abort(new Error('gone before'))
  let ran = false
  await t.rejects(abortable(controller.signal, () => {}, async () => { ran = true }), /gone before/)
  t.equal(ran, false)
})

t.test('an abort while running stops the query and rejects with the reason once it has settled', async (t) => {
  const controller = new AbortController()
  let settle!: (err: Error) => void
  let settled = false
  const query = () => new Promise<never>((_resolve, reject) => {
    settle = (err) => { settled = true; reject(err) }
  })
  const stops: number[] = []
  const run = abortable(controller.signal, () => { stops.push(1); settle(new Error('engine: cancelled')) }, query)
  controller.abort(new Error('client left'))
  await t.rejects(run, /client left/, 'the reason, not the engine error')
  t.ok(settled, 'the query had settled')
  t.same(stops, [1], 'stop called once')
  controller.signal.dispatchEvent(new Event('abort'))
  t.same(stops, [1], 'the listener is gone afterwards')
})

t.test('a failure of its own is passed on when nobody aborted', async (t) => {
  await t.rejects(abortable(new AbortController().signal, () => {}, async () => { throw new Error('syntax') }), /syntax/)
})
