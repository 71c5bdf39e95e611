import t from 'tap'
import type { Candle } from '../../src/domain/candle.js'
import { silentLog } from '../../src/log.js'
import { BusRecovery, type HeldMessage, type RecoveryStore } from '../../src/live/bus-recovery.js'
import type { LiveMessage, WriteNotice } from '../../src/live/live-bus.js'
import { memoryStore, MIN, T0, type Teardown } from '../helpers.js'

function minute (symbol: string, i: number): Candle {
  return { symbol, interval: '1m', ts: T0 + i * MIN, open: 10, high: 12, low: 9, close: 11, volume: i + 1 }
}
const final = (symbol: string, i: number): LiveMessage => ({ type: 'candle', candle: minute(symbol, i), final: true })
const label = (m: LiveMessage) => m.type === 'candle' ? `${m.candle.symbol}:${(m.candle.ts - T0) / MIN}${m.final ? '' : 'p'}` : `resync:${m.symbols.join(',')}`

/** A recovery over a real store whose candle reads wait for `release()` when `gated`. */
async function setup (t: Teardown, publishLimit = 600) {
  const store = await memoryStore(t)
  const got: LiveMessage[] = []
  const writes: WriteNotice[] = []
  let gate: Promise<void> | undefined
  let release = () => {}
  const gated: RecoveryStore = {
    listSymbols: () => store.listSymbols(),
    storedRange: (s, i) => store.storedRange(s, i),
    getCandles: async (q, signal) => {
      await gate
      return await store.getCandles(q, signal)
    }
  }
  const recovery = new BusRecovery({ store: gated, deliver: (m) => got.push(m), applyWrite: (n) => writes.push(n), hasListeners: () => true, publishLimit, log: silentLog, retryDelayMs: 1 })
  t.teardown(() => recovery.close())
  return {
    store,
    recovery,
    got,
    writes,
    hold: () => { gate = new Promise((resolve) => { release = resolve }) },
    release: () => release()
  }
}

t.test('messages arriving during a recovery wait for it, so each symbol stays in order', async (t) => {
  const s = await setup(t)
  await s.store.upsertBatch([0, 1, 2].map((i) => minute('BTCUSDT', i)))
  for (const i of [0, 1, 2]) s.recovery.receive(final('BTCUSDT', i))
  s.recovery.interrupted()
  await s.store.upsertBatch([3, 4, 5].map((i) => minute('BTCUSDT', i)))
  s.hold()
  const done = s.recovery.recover()
  t.ok(s.recovery.recovering)
  await s.store.upsertBatch([minute('BTCUSDT', 6)])
  const notice: WriteNotice = { symbols: ['BTCUSDT'], ranges: [{ symbol: 'BTCUSDT', interval: '1m', first: T0, last: T0 + 6 * MIN }] }
  s.recovery.receive({ type: 'write', ...notice } satisfies HeldMessage)
  s.recovery.receive({ type: 'candle', candle: minute('BTCUSDT', 7), final: false })
  s.recovery.receive(final('BTCUSDT', 6))
  t.same(s.got.map(label), ['BTCUSDT:0', 'BTCUSDT:1', 'BTCUSDT:2'], 'nothing new is delivered while the store is read')
  t.same(s.writes, [], 'notices wait too')
  s.release()
  await done
  t.same(s.got.map(label), [
    'BTCUSDT:0', 'BTCUSDT:1', 'BTCUSDT:2',
    'BTCUSDT:3', 'BTCUSDT:4', 'BTCUSDT:5', 'BTCUSDT:6', 'resync:BTCUSDT',
    'BTCUSDT:7p', 'BTCUSDT:6'
  ], 'recovered finals, resync_done, then what was held (a repeated final is the subscriber\'s to drop, as after any catch-up)')
  t.same(s.writes, [notice])
  t.notOk(s.recovery.recovering)
  t.equal(s.recovery.recoveredFinals, 4)
})

t.test('symbols without a delivered final start from the index at the interruption; nothing new, nothing sent', async (t) => {
  const s = await setup(t)
  await s.store.upsertBatch([minute('OLDUSDT', 0), minute('ETHUSDT', 0), minute('ETHUSDT', 1)])
  s.recovery.interrupted()
  await s.store.upsertBatch([minute('ETHUSDT', 2), minute('ETHUSDT', 3), minute('NEWUSDT', 0), minute('NEWUSDT', 1)])
  await s.recovery.recover()
  t.same(s.got.map(label), ['ETHUSDT:2', 'ETHUSDT:3', 'NEWUSDT:1', 'resync:ETHUSDT,NEWUSDT'], 'only what was stored after the interruption; of a symbol first stored since, its newest bar')

  s.got.length = 0
  s.recovery.interrupted()
  await s.recovery.recover()
  t.same(s.got, [], 'an interruption in which nothing was stored sends nothing, not even resync_done')
})

t.test('at most the newest publishLimit finals per symbol, oldest first', async (t) => {
  const s = await setup(t, 3)
  await s.store.upsertBatch([minute('BTCUSDT', 0)])
  s.recovery.receive(final('BTCUSDT', 0))
  s.recovery.interrupted()
  await s.store.upsertBatch([1, 2, 3, 4, 5, 6].map((i) => minute('BTCUSDT', i)))
  await s.recovery.recover()
  t.same(s.got.map(label), ['BTCUSDT:0', 'BTCUSDT:4', 'BTCUSDT:5', 'BTCUSDT:6', 'resync:BTCUSDT'])
})

t.test('requests during a recovery run it once more; a failing store is retried', async (t) => {
  const s = await setup(t)
  await s.store.upsertBatch([minute('BTCUSDT', 0)])
  s.recovery.interrupted()
  s.hold()
  const first = s.recovery.recover()
  await s.store.upsertBatch([minute('BTCUSDT', 1)])
  const second = s.recovery.recover()
  s.release()
  await Promise.all([first, second])
  t.same(s.got.map(label), ['BTCUSDT:1', 'resync:BTCUSDT'], 'the second run found nothing more')
  t.equal(s.recovery.recoveries, 2)

  let failures = 1
  const flaky = new BusRecovery({
    store: {
      listSymbols: () => s.store.listSymbols(),
      storedRange: (sym, i) => s.store.storedRange(sym, i),
      getCandles: async (q) => {
        if (failures-- > 0) throw new Error('connection reset')
        return await s.store.getCandles(q)
      }
    },
    deliver: (m) => s.got.push(m),
    applyWrite: () => {},
    hasListeners: () => true,
    publishLimit: 600,
    log: silentLog,
    retryDelayMs: 1
  })
  t.teardown(() => flaky.close())
  s.got.length = 0
  flaky.interrupted()
  await s.store.upsertBatch([minute('BTCUSDT', 2)])
  await flaky.recover()
  t.same(s.got.map(label), ['BTCUSDT:2', 'resync:BTCUSDT'], 'delivered on the second try')
  t.equal(flaky.failures, 1)
})
