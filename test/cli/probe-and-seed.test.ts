import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { minuteCandles } from '../../src/exchange/simulator/price-model.js'
import { DuckDbCandleStore } from '../../src/store/duckdb/duckdb-candle-store.js'
import { DAY, T0, seededStore, tempDir, testApp } from '../helpers.js'

const probe = (target: string) => new Promise<{ code: number | null, out: string }>((resolve) => {
  const child = spawn('bash', ['scripts/probe_http.sh', target], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => { out += String(d) })
  child.stderr.on('data', (d) => { out += String(d) })
  child.on('close', (code) => resolve({ code, out }))
})

t.test('probe_http.sh passes against a real listening service', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 1)
  const app = await testApp(t, {}, { store })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const r = await probe(`127.0.0.1:${port}`)
  t.equal(r.code, 0, r.out)
  t.match(r.out, /probe: \d+ passed, 0 failed/)
})

t.test('probe_http.sh fails when shapes or statuses are wrong', async (t) => {
  const server = createServer((_req, res) => { res.setHeader('content-type', 'application/json'); res.end('{}') })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const r = await probe(`127.0.0.1:${(server.address() as AddressInfo).port}`)
  t.equal(r.code, 1)
  t.match(r.out, /FAIL healthz/)
})

t.test('tv-api seed writes the deterministic candles into a DuckDB file', async (t) => {
  const path = join(tempDir(t), 'seeded.duckdb')
  const args = ['--import', 'tsx', 'src/server.ts', 'seed', '--duckdb', path, '--symbols', 'btcusdt,ETHUSDT', '--from', '2024-01-01', '--to', '2024-01-02']
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 })
  t.equal(r.status, 0, r.stderr)
  t.match(r.stdout, /seeded 5760 candles for BTCUSDT, ETHUSDT/)
  const store = await DuckDbCandleStore.open({ path })
  t.teardown(() => store.close())
  const stored = await store.getCandles({ symbol: 'ETHUSDT', interval: '1m', from: T0, limit: 5000 })
  const truth = minuteCandles('ETHUSDT', T0, T0 + 2 * DAY).map((c) => [c.ts, c.open, c.high, c.low, c.close, c.volume])
  t.same(stored, truth.slice(0, 2880), 'every stored candle equals the price model')
  const bad = spawnSync(process.execPath, [...args.slice(0, 4), '--duckdb', path, '--from', 'tomorrowish'], { encoding: 'utf8', timeout: 60_000 })
  t.equal(bad.status, 2)
  t.match(bad.stderr, /^tv-api: invalid value "tomorrowish" for --from/)
})
