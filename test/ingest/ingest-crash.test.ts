import { join } from 'node:path'
import t from 'tap'
import { DuckDbCandleStore } from '../../src/store/duckdb/duckdb-candle-store.js'
import { tempDir } from '../helpers.js'
import { DAY, MIN, NOW, expectTruth, startSim, waitFor } from './ingest-helpers.js'
import { lastStored, startServiceProcess } from '../service-process.js'

t.test('SIGKILL in the middle of a catch-up, then restart: the store ends equal to ground truth', async (t) => {
  const db = join(tempDir(t), 'crash.duckdb')
  const { sim } = await startSim(t)
  // Slow REST so the kill lands mid-catch-up: 20 days is 58 pages of 1000.
  sim.faults.restDelayMs(40)

  const first = await startServiceProcess(db, sim, ['--live-lookback', '20d'])
  t.teardown(() => { first.child.kill('SIGKILL') })
  await waitFor(() => sim.requests.filter((r) => r.path === '/api/v3/klines').length >= 12, 60_000, 'catch-up under way')
  first.child.kill('SIGKILL')
  t.equal(await first.exited, null, 'killed, not exited')
  const pagesBefore = sim.requests.filter((r) => r.path === '/api/v3/klines').length
  t.ok(pagesBefore < 58, `killed after ${pagesBefore} of 58 pages`)

  sim.faults.restDelayMs(0)
  const second = await startServiceProcess(db, sim, ['--live-lookback', '20d'])
  t.teardown(() => { second.child.kill('SIGKILL') })
  await waitFor(async () => (await lastStored(second.port, 'BTCUSDT')) === NOW - MIN && (await lastStored(second.port, 'ETHUSDT')) === NOW - MIN, 60_000, 'caught up after restart')
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0, 'a clean exit on SIGTERM')

  const store = await DuckDbCandleStore.open({ path: db })
  t.teardown(() => store.close())
  await expectTruth(t, store, sim, ['BTCUSDT', 'ETHUSDT'], NOW - 20 * DAY, NOW, 20 * 1440)
})
