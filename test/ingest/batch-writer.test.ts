import t from 'tap'
import type { Candle } from '../../src/domain/candle.js'
import { MINUTE_MS } from '../../src/domain/intervals.js'
import { minuteCandles } from '../../src/exchange/simulator/price-model.js'
import { BatchWriter } from '../../src/ingest/batch-writer.js'
import type { CandleStore, UpsertResult } from '../../src/store/candle-store.js'

const T0 = Date.UTC(2024, 0, 1)

/** The one store method the writer uses, recording each batch; `fail` makes the next one throw. */
function recordingStore () {
  const batches: Candle[][] = []
  let running = 0
  let maxRunning = 0
  const state = { fail: false }
  const store = {
    upsertBatch: async (candles: readonly Candle[]): Promise<UpsertResult> => {
      running++
      maxRunning = Math.max(maxRunning, running)
      await new Promise((resolve) => setImmediate(resolve))
      running--
      if (state.fail) {
        state.fail = false
        throw new Error('disk full')
      }
      batches.push([...candles])
      return { rows: candles.length, symbols: [...new Set(candles.map((c) => c.symbol))] }
    }
  } as unknown as CandleStore
  return { store, batches, state, maxRunning: () => maxRunning }
}

t.test('writes of one turn are one upsert; each write resolves once committed', async (t) => {
  const { store, batches } = recordingStore()
  const w = new BatchWriter(store)
  const btc = minuteCandles('BTCUSDT', T0, T0 + 2 * MINUTE_MS)
  const eth = minuteCandles('ETHUSDT', T0, T0 + MINUTE_MS)
  let committed = 0
  const a = w.write(btc).then(() => committed++)
  const b = w.write(eth).then(() => committed++)
  t.equal(committed, 0)
  await Promise.all([a, b])
  t.same(batches.map((b) => b.map((c) => c.symbol)), [['BTCUSDT', 'BTCUSDT', 'ETHUSDT']])
})

t.test('an empty write resolves at once without a store call', async (t) => {
  const { store, batches } = recordingStore()
  await new BatchWriter(store).write([])
  t.same(batches, [])
})

t.test('upserts run one at a time, in order; a failure rejects only its own batch', async (t) => {
  const { store, batches, state, maxRunning } = recordingStore()
  const w = new BatchWriter(store)
  const bars = minuteCandles('BTCUSDT', T0, T0 + 3 * MINUTE_MS)
  state.fail = true
  const first = w.write([bars[0]!]).then(() => 'committed', (err: Error) => err.message)
  await new Promise((resolve) => setImmediate(resolve))
  const second = w.write([bars[1]!])
  await new Promise((resolve) => setImmediate(resolve))
  const third = w.write([bars[2]!])
  t.equal(await first, 'disk full')
  await second
  await third
  t.same(batches.map((b) => b.map((c) => c.ts)), [[bars[1]!.ts], [bars[2]!.ts]])
  t.equal(maxRunning(), 1)
})

t.test('drain waits for writes not yet flushed and for the upsert in flight', async (t) => {
  const { store, batches } = recordingStore()
  const w = new BatchWriter(store)
  void w.write(minuteCandles('BTCUSDT', T0, T0 + MINUTE_MS))
  await w.drain()
  t.equal(batches.length, 1)
})
