// TurnBatcher: everything pushed in one event-loop turn arrives in one flush, in order; a push
// after the flush starts a new batch; idle waits for the pending flush.
import t from 'tap'
import { TurnBatcher } from '../../src/async/turn-batcher.js'

t.test('items of one turn arrive together, the next turn in a new batch', async (t) => {
  const batches: number[][] = []
  const b = new TurnBatcher<number>((items) => batches.push(items))
  b.push(1)
  b.push(2, 3)
  t.equal(b.pending, 3)
  t.same(batches, [], 'nothing is flushed in the same turn')
  await b.idle()
  t.same(batches, [[1, 2, 3]])
  t.equal(b.pending, 0)
  b.push(4)
  await b.idle()
  t.same(batches, [[1, 2, 3], [4]])
})

t.test('items pushed from inside a flush go to the next batch', async (t) => {
  const batches: string[][] = []
  const b: TurnBatcher<string> = new TurnBatcher<string>((items) => {
    batches.push(items)
    if (items.includes('first')) b.push('again')
  })
  b.push('first')
  await b.idle()
  t.same(batches, [['first'], ['again']])
})

t.test('idle with nothing pushed resolves', async (t) => {
  const b = new TurnBatcher<number>(() => t.fail('no flush expected'))
  await b.idle()
  t.equal(b.pending, 0)
})
