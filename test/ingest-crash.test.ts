import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import t from 'tap'
import { DuckDbCandleStore } from '../src/store/duckdb-candle-store.js'
import { tempDir } from './helpers.js'
import { DAY, MIN, NOW, compareWithTruth, startSim, waitFor } from './ingest-helpers.js'

interface Service {
  child: ChildProcess
  port: number
  exited: Promise<number | null>
}

/** Runs the real service in a child process, ingesting from the simulator into `db`. */
async function startService (db: string, sim: { restUrl: string, wsUrl: string }, lookback: string): Promise<Service> {
  const child = spawn(process.execPath, [
    '--import', 'tsx', 'src/server.ts',
    '--live=1', '--duckdb', db, '--host', '127.0.0.1', '--port', '0', '--log-level', 'info',
    '--binance-rest-url', sim.restUrl, '--binance-ws-url', sim.wsUrl,
    '--live-symbols', 'BTCUSDT,ETHUSDT', '--live-lookback', lookback
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let out = ''
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start: ${out}`)), 30_000)
    child.stdout!.on('data', (d) => {
      out += String(d)
      const m = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (m !== null) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    child.stderr!.on('data', (d) => { out += String(d) })
    child.on('exit', () => reject(new Error(`service exited: ${out}`)))
  })
  return { child, port, exited }
}

async function lastStored (port: number, symbol: string): Promise<number | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/intervals?symbol=${symbol}&include_ranges=true`).catch(() => undefined)
  if (res?.ok !== true) return undefined
  const body = await res.json() as { intervals: Array<{ name: string, to?: number }> }
  return body.intervals.find((i) => i.name === '1m')?.to
}

t.test('SIGKILL in the middle of a catch-up, then restart: the store ends equal to ground truth', async (t) => {
  const db = join(tempDir(t), 'crash.duckdb')
  const { sim } = await startSim(t)
  // Slow REST so the kill lands mid-catch-up: 20 days is 58 pages of 1000.
  sim.faults.restDelayMs(40)

  const first = await startService(db, sim, '20d')
  t.teardown(() => { first.child.kill('SIGKILL') })
  await waitFor(() => sim.requests.filter((r) => r.path === '/api/v3/klines').length >= 12, 60_000, 'catch-up under way')
  first.child.kill('SIGKILL')
  t.equal(await first.exited, null, 'killed, not exited')
  const pagesBefore = sim.requests.filter((r) => r.path === '/api/v3/klines').length
  t.ok(pagesBefore < 58, `killed after ${pagesBefore} of 58 pages`)

  sim.faults.restDelayMs(0)
  const second = await startService(db, sim, '20d')
  t.teardown(() => { second.child.kill('SIGKILL') })
  await waitFor(async () => (await lastStored(second.port, 'BTCUSDT')) === NOW - MIN && (await lastStored(second.port, 'ETHUSDT')) === NOW - MIN, 60_000, 'caught up after restart')
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0, 'a clean exit on SIGTERM')

  const store = await DuckDbCandleStore.open({ path: db })
  t.teardown(() => store.close())
  for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
    const cmp = await compareWithTruth(store, sim, symbol, NOW - 20 * DAY, NOW)
    t.same({ expected: cmp.expected, stored: cmp.stored, missing: cmp.missing.length, extra: cmp.extra.length, wrong: cmp.wrong.length },
      { expected: 20 * 1440, stored: 20 * 1440, missing: 0, extra: 0, wrong: 0 }, `${symbol} equals ground truth`)
  }
})
