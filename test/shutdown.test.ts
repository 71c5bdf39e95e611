import { join } from 'node:path'
import t from 'tap'
import { DuckDbCandleStore } from '../src/store/duckdb/duckdb-candle-store.js'
import { tempDir } from './helpers.js'
import { MIN, NOW, compareWithTruth, sleep, startSim, waitFor } from './ingest/ingest-helpers.js'
import { lastStored, startServiceProcess } from './service-process.js'

t.test('SIGTERM during live ingestion: a clean exit, and the store equals ground truth', async (t) => {
  const db = join(tempDir(t), 'sigterm.duckdb')
  const { sim, clock } = await startSim(t)
  const service = await startServiceProcess(db, sim, ['--live-lookback', '2h'])
  t.teardown(() => { service.child.kill('SIGKILL') })
  await waitFor(async () => (await lastStored(service.port, 'BTCUSDT')) === NOW - MIN && (await lastStored(service.port, 'ETHUSDT')) === NOW - MIN, 30_000, 'caught up')

  // Minutes close quickly while the service stores them; SIGTERM lands with writes in flight.
  for (let i = 0; i < 20; i++) {
    clock.advance(MIN)
    await sleep(10)
  }
  await sleep(30)
  service.child.kill('SIGTERM')
  t.equal(await service.exited, 0, 'exit code 0')
  t.match(service.output(), /shutting down/)

  const store = await DuckDbCandleStore.open({ path: db })
  let last = NOW
  for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
    last = store.storedRange(symbol, '1m')!.last
    t.ok(last >= NOW + 15 * MIN, `${symbol}: closes kept arriving until the end (${(last - NOW) / MIN} minutes)`)
    const cmp = await compareWithTruth(store, sim, symbol, NOW - 120 * MIN, last + MIN)
    t.same({ missing: cmp.missing.length, extra: cmp.extra.length, wrong: cmp.wrong.length, stored: cmp.stored },
      { missing: 0, extra: 0, wrong: 0, stored: cmp.expected }, `${symbol}: everything up to its last candle is stored, exact`)
  }
  await store.close()

  const again = await startServiceProcess(db, sim, ['--live-lookback', '2h'])
  t.teardown(() => { again.child.kill('SIGKILL') })
  await waitFor(async () => (await lastStored(again.port, 'BTCUSDT')) === NOW + 19 * MIN && (await lastStored(again.port, 'ETHUSDT')) === NOW + 19 * MIN, 30_000, 'restart catches up the rest')
  again.child.kill('SIGTERM')
  t.equal(await again.exited, 0)
  const reopened = await DuckDbCandleStore.open({ path: db })
  t.teardown(() => reopened.close())
  for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
    const cmp = await compareWithTruth(reopened, sim, symbol, NOW - 120 * MIN, NOW + 20 * MIN)
    t.same([cmp.expected, cmp.stored, cmp.missing.length, cmp.wrong.length], [140, 140, 0, 0], `${symbol} equals ground truth`)
  }
})
