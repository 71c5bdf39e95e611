// A long catch-up stores everything but publishes only the newest HTTP_DEFAULT_LIMIT candles of
// each symbol to /ws, then resync_done.
import t from 'tap'
import { CatchUpTail } from '../../src/ingest/catch-up-tail.js'
import { minuteCandles } from '../../src/exchange/simulator/price-model.js'
import { MIN, NOW, waitFor } from './ingest-helpers.js'
import { Client, startLiveService } from '../routes/ws-helpers.js'

t.test('CatchUpTail keeps the newest candles by open time, each once', async (t) => {
  const tail = new CatchUpTail(3)
  const candles = minuteCandles('BTCUSDT', NOW, NOW + 10 * MIN)
  tail.add(candles.slice(0, 4))
  tail.add(candles.slice(6))
  tail.add([candles[5]!, { ...candles[9]!, close: 1 }])
  t.same(tail.take(), [candles[7], candles[8], { ...candles[9]!, close: 1 }], 'the newest 3, oldest first, the later copy of a repeated minute')
  t.same(tail.take(), [], 'take empties it')
})

t.test('a catch-up of 10,000 candles sends a subscriber only the newest HTTP_DEFAULT_LIMIT, then resync_done', async (t) => {
  const limit = 250
  const s = await startLiveService(t, { HTTP_DEFAULT_LIMIT: limit })
  const c = await Client.open(t, s.url)
  await c.subscribe('BTCUSDT', '1m')
  const before = c.messages.length
  const lastBefore = s.ingestor.health().live.symbols.BTCUSDT!.last_closed_ts!
  // The stream goes silent while 10,000 minutes pass, then drops: the reconnect catches up from REST.
  s.sim.faults.stall(true)
  s.clock.advance(10_000 * MIN)
  s.sim.faults.stall(false)
  s.sim.faults.dropStreams()
  await waitFor(() => c.messages.slice(before).some((m) => m.type === 'resync_done'), 60_000, 'resync_done')
  await s.ingestor.idle()
  await s.app.liveFeed.idle()

  const newest = lastBefore + 10_000 * MIN
  const after = c.messages.slice(before)
  const end = after.findIndex((m) => m.type === 'resync_done')
  const sent = after.slice(0, end)
  t.ok(sent.every((m) => m.type === 'candle' && m.final === true), 'only finals before resync_done')
  t.ok(sent.length <= limit, `at most ${limit} messages (${sent.length})`)
  t.same(sent.map((m) => m.data[0]), Array.from({ length: limit }, (_, i) => newest - (limit - 1 - i) * MIN), 'exactly the newest candles, in order')
  t.equal(sent.at(-1)!.data[0], newest, 'ending with the newest candle')
  t.match(after[end], { type: 'resync_done', interval: '1m' })
  t.same(after.slice(end + 1).filter((m) => m.type === 'candle' && m.data[0] <= newest - limit * MIN), [], 'no older candle follows')

  // Everything was stored all the same.
  const res = await fetch(`${s.base}/api/v1/candles?symbol=BTCUSDT&interval=1m&from=${lastBefore + MIN}&to=${newest}&limit=5000`)
  const body = await res.json() as { data: number[][] }
  t.equal(body.data.length, 5000, 'the first 5000 of the caught-up minutes are stored')
  t.equal(s.app.store.storedRange('BTCUSDT', '1m')!.last, newest)
  t.equal((await s.app.store.findGaps('BTCUSDT', '1m', lastBefore, newest)).length, 0, 'no hole in the 10,000 minutes')
})
