import t from 'tap'
import type { Candle } from '../../src/domain/candle.js'
import { silentLog } from '../../src/log.js'
import type { WriteNotice } from '../../src/live/live-bus.js'
import { RedisLiveBus } from '../../src/live/redis-live-bus.js'
import { shareStoreWrites, writeNotice } from '../../src/live/write-notices.js'
import type { SeriesRange } from '../../src/store/candle-store.js'
import { memoryStore, MIN, T0 } from '../helpers.js'
import { waitFor } from '../ingest/ingest-helpers.js'
import { redisService, redisSkip } from '../services/redis.js'

const HOUR = 60 * MIN

function bar (symbol: string, interval: Candle['interval'], ts: number): Candle {
  return { symbol, interval, ts, open: 1, high: 2, low: 1, close: 2, volume: 3 }
}

t.test('a notice names each touched symbol with every stored series as it is after the write', async (t) => {
  const store = await memoryStore(t)
  await store.upsertBatch([bar('BTCUSDT', '1m', T0), bar('BTCUSDT', '1m', T0 + MIN), bar('BTCUSDT', '1h', T0), bar('ETHUSDT', '1m', T0)])
  t.same(writeNotice(store, ['BTCUSDT']), {
    symbols: ['BTCUSDT'],
    ranges: [{ symbol: 'BTCUSDT', interval: '1m', first: T0, last: T0 + MIN }, { symbol: 'BTCUSDT', interval: '1h', first: T0, last: T0 }]
  })
  await store.deleteRange('BTCUSDT', '1h', T0, T0 + HOUR)
  t.same(writeNotice(store, ['BTCUSDT', 'NOPE']).ranges, [{ symbol: 'BTCUSDT', interval: '1m', first: T0, last: T0 + MIN }], 'a series deleted away is not listed; nor a symbol with nothing stored')
})

t.test('writes here go out as notices; notices of other processes go into the store; neither echoes', { skip: redisSkip() }, async (t) => {
  const { url, prefix } = await redisService()
  const store = await memoryStore(t)
  const a = new RedisLiveBus({ url, prefix, store, publishLimit: 600, log: silentLog })
  const b = new RedisLiveBus({ url, prefix, store, publishLimit: 600, log: silentLog })
  t.teardown(() => Promise.all([a.close(), b.close()]))
  await waitFor(() => a.ready() && b.ready(), 30_000, 'the buses to connect')
  await Promise.all([a.idle(), b.idle()])

  // The writer's store, with a hold on the listener the wiring registers, to play a remote write.
  let listener: Parameters<typeof store.onWrite>[0] | undefined
  t.teardown(shareStoreWrites({
    onWrite: (l) => { listener = l; return store.onWrite(l) },
    storedRange: (s, i) => store.storedRange(s, i)
  }, a))
  // The other side: a store shared with the writer, which learns of writes from the bus alone.
  const applied: Array<{ symbols: readonly string[], ranges: readonly SeriesRange[] }> = []
  const notices: WriteNotice[] = []
  b.subscribeWrites((n) => notices.push(n))
  t.teardown(shareStoreWrites({
    onWrite: () => () => {},
    storedRange: () => undefined,
    applyRemoteWrite: (symbols, ranges) => { applied.push({ symbols, ranges }) }
  }, b))

  await store.upsertBatch([bar('BTCUSDT', '1m', T0), bar('ETHUSDT', '1m', T0 + MIN)])
  await waitFor(() => applied.length === 1, 30_000, 'the notice to be applied')
  const expected = writeNotice(store, ['BTCUSDT', 'ETHUSDT'])
  t.same(applied, [expected], 'the other process took the write in, as the writer\'s index had it')
  t.same(notices, [expected])

  // A write the store learnt from the bus is not told again.
  let sent = a.status().published_total
  listener!(new Set(['BTCUSDT']), { rows: 0, durationMs: 0, remote: true })
  t.equal(a.status().published_total, sent, 'a remote write is not published again')
  sent = a.status().published_total
  await store.deleteRange('ETHUSDT', '1m', T0, T0 + MIN)
  t.equal(a.status().published_total, sent + 1, 'a deletion is a write too')
  await waitFor(() => applied.length === 2, 30_000, 'the deletion notice')
  t.same(applied[1], { symbols: ['ETHUSDT'], ranges: [] }, 'a symbol with nothing left has no ranges')
})
