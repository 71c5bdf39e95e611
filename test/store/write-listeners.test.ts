// The write-listener fan-out every store uses.
import t from 'tap'
import type { WriteInfo } from '../../src/store/candle-store.js'
import { WriteListeners } from '../../src/store/write-listeners.js'

t.test('listeners hear each write in the order added, until removed or cleared', async (t) => {
  const listeners = new WriteListeners()
  const heard: Array<[string, string[], WriteInfo]> = []
  const offA = listeners.add((symbols, info) => heard.push(['a', [...symbols], info]))
  listeners.add((symbols, info) => heard.push(['b', [...symbols], info]))
  listeners.emit(new Set(['BTCUSDT']), { rows: 3, durationMs: 1.5 })
  t.same(heard, [['a', ['BTCUSDT'], { rows: 3, durationMs: 1.5 }], ['b', ['BTCUSDT'], { rows: 3, durationMs: 1.5 }]])
  heard.length = 0
  offA()
  listeners.emitDeletion(new Set(['ETHUSDT', 'BTCUSDT']))
  t.same(heard, [['b', ['ETHUSDT', 'BTCUSDT'], { rows: 0, durationMs: 0 }]], 'a deletion is a write of no rows, heard by those left')
  heard.length = 0
  listeners.clear()
  listeners.emit(new Set(['BTCUSDT']), { rows: 1, durationMs: 0 })
  t.same(heard, [], 'nobody hears after clear')
})

t.test('a listener added twice is called once; removing it twice is harmless', async (t) => {
  const listeners = new WriteListeners()
  let calls = 0
  const listener = (): void => { calls++ }
  const off = listeners.add(listener)
  listeners.add(listener)
  listeners.emit(new Set(['X']), { rows: 1, durationMs: 0 })
  t.equal(calls, 1)
  off()
  off()
  listeners.emit(new Set(['X']), { rows: 1, durationMs: 0 })
  t.equal(calls, 1)
})
