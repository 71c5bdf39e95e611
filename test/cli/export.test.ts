// `tv-api export` as a process: the same bytes as the API, progress on stderr, the import round
// trip through `tv-api import`, Parquet, and its usage errors.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { DuckDBInstance } from '@duckdb/node-api'
import { seedStore } from '../../src/cli/seed.js'
import { DuckDbCandleStore } from '../../src/store/duckdb/duckdb-candle-store.js'
import { DAY, MIN, T0, tempDir, testApp } from '../helpers.js'

const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts', ...args], { encoding: 'utf8', timeout: 120_000 })

t.test('tv-api export', async (t) => {
  const dir = tempDir(t)
  const db = join(dir, 'market.duckdb')
  const seeded = await DuckDbCandleStore.open({ path: db })
  await seedStore(seeded, { symbols: ['BTCUSDT'], from: T0, to: T0 + 3 * DAY })
  await seeded.close()
  const from = T0 + DAY
  const to = T0 + 2 * DAY - MIN

  t.test('CSV: the bytes of GET /api/v1/export, progress and a summary on stderr', async (t) => {
    const out = join(dir, 'day.csv')
    const r = cli('export', '--duckdb', db, '--symbol', 'btcusdt', '--interval', '1m', '--from', '2024-01-02', '--to', '2024-01-02', '--out', out)
    t.equal(r.status, 0, r.stderr)
    t.equal(r.stdout, '', 'nothing on stdout')
    t.match(r.stderr, /export BTCUSDT 1m \(1440 candles from 2024-01-02T00:00:00.000Z to 2024-01-02T23:59:00.000Z\)/)
    t.match(r.stderr, /export BTCUSDT 1m csv: 100\.0%\s+1440\/1440 candles/, 'a progress line')
    t.match(r.stderr, /export done: 1440 candles to .*day\.csv/)
    const store = await DuckDbCandleStore.open({ path: db })
    const app = await testApp(t, {}, { store })
    const api = await app.inject(`/api/v1/export?symbol=BTCUSDT&interval=1m&from=${from}&to=${to}`)
    t.equal(readFileSync(out, 'utf8'), api.body, 'identical to the HTTP export')
    await app.close()
    await store.close()
    const exists = cli('export', '--duckdb', db, '--symbol', 'BTCUSDT', '--interval', '1m', '--out', out)
    t.equal(exists.status, 2)
    t.match(exists.stderr, /--out .*day\.csv exists/, 'an existing file is never overwritten')
  })

  t.test('round trip: a CSV export under its default name imports back unchanged with tv-api import', async (t) => {
    const work = join(dir, 'trip')
    mkdirSync(work)
    // Without --out the file is written in the working directory.
    const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(process.cwd(), 'src/server.ts'), 'export', '--duckdb', db, '--symbol', 'BTCUSDT', '--interval', '15m'], { cwd: work, encoding: 'utf8', timeout: 120_000 })
    t.equal(r.status, 0, r.stderr)
    const files = readdirSync(work)
    t.same(files, ['BTCUSDT-15m-2024-01-01_2024-01-03T2345.csv'], 'named after symbol, interval and range')
    const target = join(dir, 'imported.duckdb')
    const imp = cli('import', '--duckdb', target, join(work, files[0]!))
    t.equal(imp.status, 0, imp.stderr)
    t.match(imp.stdout, /288 rows read, 288 stored, 0 rejected/)
    const a = await DuckDbCandleStore.open({ path: db })
    const b = await DuckDbCandleStore.open({ path: target })
    t.teardown(async () => { await a.close(); await b.close() })
    const q = { symbol: 'BTCUSDT', interval: '15m' as const, from: 0, limit: 5000 }
    const original = await a.getCandles(q)
    t.equal(original.length, 288)
    t.same(await b.getCandles(q), original, 'the imported 15m candles equal the rolled-up ones exported')
  })

  t.test('NDJSON to stdout and Parquet to a file', async (t) => {
    const nd = cli('export', '--duckdb', db, '--symbol', 'BTCUSDT', '--interval', '1d', '--format', 'ndjson', '--out', '-')
    t.equal(nd.status, 0, nd.stderr)
    const lines = nd.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))
    t.same(lines.map((l) => l.open_time), [T0, T0 + DAY, T0 + 2 * DAY])
    const out = join(dir, 'days.parquet')
    const pq = cli('export', '--duckdb', db, '--symbol', 'BTCUSDT', '--interval', '1d', '--format', 'parquet', '--out', out)
    t.equal(pq.status, 0, pq.stderr)
    t.match(pq.stderr, /export done: 3 candles/)
    t.notOk(existsSync(`${out}.partial`))
    const inst = await DuckDBInstance.create(':memory:')
    const con = await inst.connect()
    const rows = (await con.runAndReadAll('SELECT open_time::DOUBLE, open, high, low, close, volume, close_time::DOUBLE FROM read_parquet($1)', [out])).getRows()
    con.closeSync()
    inst.closeSync()
    t.same(rows, lines.map((l) => Object.values(l)), 'the same rows as NDJSON')
  })

  t.test('usage errors exit 2 with one line naming the option', async (t) => {
    const cases: Array<[string[], RegExp]> = [
      [['--interval', '1m'], /export needs --symbol/],
      [['--symbol', 'BTCUSDT'], /export needs --interval/],
      [['--symbol', 'BTCUSDT', '--interval', '7m'], /invalid value "7m" for --interval/],
      [['--symbol', 'BTCUSDT', '--interval', '1m', '--format', 'xml'], /invalid value "xml" for --format/],
      [['--symbol', 'BTCUSDT', '--interval', '1m', '--from', 'yesterday'], /invalid value "yesterday" for --from/],
      [['--symbol', 'BTCUSDT', '--interval', '1m', '--from', '2024-01-03', '--to', '2024-01-01'], /--from .* is after --to/],
      [['--symbol', 'DOGEUSDT', '--interval', '1m'], /no candles of DOGEUSDT/],
      [['--symbol', 'BTCUSDT', '--interval', '1m', '--format', 'parquet', '--out', '-'], /Parquet needs a file/]
    ]
    for (const [args, message] of cases) {
      const r = cli('export', '--duckdb', db, ...args)
      t.equal(r.status, 2, args.join(' '))
      t.match(r.stderr, message)
      t.equal(r.stderr.trim().split('\n').length, 1, 'one line')
    }
    const help = cli('export', '--help')
    t.equal(help.status, 0)
    t.match(help.stdout, /--symbol/)
    t.match(help.stdout, /--out/)
  })
})
