import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { crc32, deflateRawSync } from 'node:zlib'
import t from 'tap'
import { BinanceExchange } from '../../src/exchange/binance/binance-exchange.js'
import { minuteCandles } from '../../src/exchange/simulator/price-model.js'
import { backfill } from '../../src/ingest/backfill.js'
import { importArchives } from '../../src/ingest/archive/archive-import.js'
import { parseArchiveName, startsWithHeader } from '../../src/ingest/archive/kline-csv.js'
import { candleDefect } from '../../src/domain/candle.js'
import { readZip } from '../../src/ingest/archive/zip-reader.js'
import { silentLog } from '../../src/log.js'
import { DuckDbCandleStore } from '../../src/store/duckdb/duckdb-candle-store.js'
import { memoryStore, tempDir } from '../helpers.js'
import { DAY, MIN, NOW, compareWithTruth, startSim } from './ingest-helpers.js'

t.test('backfill of 30 days for 2 symbols equals ground truth; a re-run changes nothing', async (t) => {
  const { sim } = await startSim(t)
  const store = await memoryStore(t)
  const exchange = new BinanceExchange({ restUrl: sim.restUrl, wsUrl: sim.wsUrl, log: silentLog })
  t.teardown(() => exchange.close())
  const from = NOW - 30 * DAY
  const progress: number[] = []
  const opts = { exchange, store, symbols: ['BTCUSDT', 'ETHUSDT'], intervals: ['1m' as const], from, to: NOW, log: silentLog }
  const report = await backfill({ ...opts, onProgress: (p) => progress.push(p.done) })
  t.equal(report.stored, 2 * 30 * 1440, 'every closed minute of 30 days')
  t.ok(progress.length >= 60 && progress.at(-1) === 2 * 30 * 1440, 'progress after every page')
  for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
    const cmp = await compareWithTruth(store, sim, symbol, from, NOW)
    t.same([cmp.expected, cmp.stored, cmp.missing.length, cmp.extra.length, cmp.wrong.length], [30 * 1440, 30 * 1440, 0, 0, 0], `${symbol} equals ground truth`)
  }
  t.notOk(sim.requests.some((r) => r.path === '/api/v3/klines' && Number(r.query.limit) > 1000), 'never more than 1000 per page')

  const writes: number[] = []
  store.onWrite(() => writes.push(1))
  const requestsBefore = sim.requests.length
  const again = await backfill(opts)
  t.equal(again.stored, 0, 'a re-run stores nothing')
  t.same(writes, [], 'and writes nothing')
  t.ok(sim.requests.length - requestsBefore <= 1, 'only the server time is asked')
})

t.test('backfill resumes after an interruption and respects listing dates and exchange gaps', async (t) => {
  const listedAt = NOW - 5 * DAY
  const gap = { symbol: 'BTCUSDT', from: NOW - 2 * DAY, to: NOW - 2 * DAY + 90 * MIN }
  const { sim } = await startSim(t, { listedAt, gaps: [gap] })
  const store = await memoryStore(t)
  const exchange = new BinanceExchange({ restUrl: sim.restUrl, wsUrl: sim.wsUrl, log: silentLog })
  t.teardown(() => exchange.close())
  // A first run that covered only the last day, as if interrupted.
  await backfill({ exchange, store, symbols: ['BTCUSDT'], intervals: ['1m'], from: NOW - DAY, to: NOW, log: silentLog })
  const report = await backfill({ exchange, store, symbols: ['BTCUSDT'], intervals: ['1m', '1h'], from: NOW - 10 * DAY, to: NOW, log: silentLog })
  const cmp = await compareWithTruth(store, sim, 'BTCUSDT', NOW - 10 * DAY, NOW)
  t.equal(cmp.expected, 5 * 1440 - 90, 'nothing before listing, nothing in the maintenance gap')
  t.same([cmp.stored, cmp.missing.length, cmp.wrong.length], [cmp.expected, 0, 0])
  t.equal(report.series.find((s) => s.interval === '1m')!.stored, 4 * 1440 - 90, 'only what was missing')
  const hours = await store.getCandles({ symbol: 'BTCUSDT', interval: '1h', from: NOW - 10 * DAY, limit: 1000 })
  const truthHours = sim.groundTruth('BTCUSDT', '1h', NOW - 10 * DAY, NOW)
  t.same(hours, truthHours.map((c) => [c.ts, c.open, c.high, c.low, c.close, c.volume]), 'a native 1h backfill is stored as Binance serves it')
})

/** A data.binance.vision style kline CSV (no header, 12 columns); micro: 2025+ microsecond times. */
function archiveCsv (symbol: string, from: number, to: number, micro = false): string {
  const scale = micro ? 1000 : 1
  return minuteCandles(symbol, from, to).map((c) =>
    [c.ts * scale, c.open.toFixed(8), c.high.toFixed(8), c.low.toFixed(8), c.close.toFixed(8), c.volume.toFixed(8),
      (c.ts + MIN - 1) * scale + (micro ? 999 : 0), (c.volume * c.close).toFixed(8), 100, (c.volume / 2).toFixed(8), '0', '0'].join(',')
  ).join('\n') + '\n'
}

/** A one-entry zip, deflated, as the archive ships them. */
function zipOf (name: string, text: string): Buffer {
  const data = Buffer.from(text)
  const deflated = deflateRawSync(data)
  const nameBuf = Buffer.from(name)
  const local = Buffer.alloc(30)
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(8, 8)
  local.writeUInt32LE(crc32(data), 14); local.writeUInt32LE(deflated.length, 18); local.writeUInt32LE(data.length, 22)
  local.writeUInt16LE(nameBuf.length, 26)
  const central = Buffer.alloc(46)
  central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(8, 10)
  central.writeUInt32LE(crc32(data), 16); central.writeUInt32LE(deflated.length, 20); central.writeUInt32LE(data.length, 24)
  central.writeUInt16LE(nameBuf.length, 28); central.writeUInt32LE(0, 42)
  const cdOffset = local.length + nameBuf.length + deflated.length
  const eocd = Buffer.alloc(22)
  eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(1, 8); eocd.writeUInt16LE(1, 10)
  eocd.writeUInt32LE(central.length + nameBuf.length, 12); eocd.writeUInt32LE(cdOffset, 16)
  return Buffer.concat([local, nameBuf, deflated, central, nameBuf, eocd])
}

t.test('archive names and CSV rows', async (t) => {
  t.same(parseArchiveName('/x/BTCUSDT-1m-2024-01.zip'), { symbol: 'BTCUSDT', interval: '1m', period: '2024-01' })
  t.same(parseArchiveName('ETHUSDT-1mo-2025-03.csv'), { symbol: 'ETHUSDT', interval: '1M', period: '2025-03' })
  t.same(parseArchiveName('ETHUSDT-1h-2025-03-07.csv'), { symbol: 'ETHUSDT', interval: '1h', period: '2025-03-07' })
  t.equal(parseArchiveName('ETHUSDT-1s-2025-03-07.csv'), undefined, '1s is not served here')
  t.equal(parseArchiveName('prices.csv'), undefined)
  t.ok(startsWithHeader('open_time,open,high\n1,2,3'))
  t.notOk(startsWithHeader('1704067200000,1,2\n'))

  const dir = tempDir(t)
  const store = await memoryStore(t)
  const load = async (name: string, text: string, interval: '1m' | '1h' | '1w' | '1M' = '1m') => {
    const path = join(dir, name)
    writeFileSync(path, text)
    const [r] = await store.loadKlineCsv([{ path, symbol: name.split('-')[0]!, interval, skipLines: startsWithHeader(text) ? 1 : 0 }])
    return r!
  }
  const from = Date.UTC(2024, 11, 31, 23, 58)
  const ms = await load('MS-1m.csv', archiveCsv('BTCUSDT', from, from + 2 * MIN))
  const us = await load('US-1m.csv', archiveCsv('BTCUSDT', from, from + 2 * MIN, true))
  t.same([ms.rows, ms.stored, us.rows, us.stored], [2, 2, 2, 2])
  t.same(await store.getCandles({ symbol: 'US', interval: '1m', from: 0, limit: 10 }), await store.getCandles({ symbol: 'MS', interval: '1m', from: 0, limit: 10 }), 'microsecond times equal millisecond times')
  t.same(await store.getCandles({ symbol: 'MS', interval: '1m', from: 0, limit: 10 }), minuteCandles('BTCUSDT', from, from + 2 * MIN).map((c) => [c.ts, c.open, c.high, c.low, c.close, c.volume]))
  const withHeader = await load('HDR-1m.csv', `open_time,open,high,low,close,volume,close_time\n${archiveCsv('BTCUSDT', from, from + MIN)}`)
  t.same([withHeader.rows, withHeader.stored], [1, 1], 'a header line (futures files) is skipped')
  const bad = await load('BAD-1m.csv', [
    '1704067200000,1,2,0.5,1.5,10,1704067259999',
    '1704067260000,1,0.9,0.5,1.5,10,1704067319999',
    '1704067320000,1,2,0.5,1.5,-1,1704067379999',
    '1704067380000,1,2,0.5,,10,1704067439999',
    '1704067410000,1,2,0.5,1.5,10,1704067469999',
    'yesterday,1,2,0.5,1.5,10,0',
    '1704067440000,1,2',
    '',
    '1704067500000,1,2,0.5,1.5,10,1704067559999',
    '1704067500000,1,2,0.5,1.6,10,1704067559999'
  ].join('\r\n'))
  t.equal(bad.rows, 9, 'every non-empty line is read')
  t.equal(bad.stored, 2, 'two good keys (one of them on two lines)')
  t.same(Object.fromEntries(bad.rejected), {
    'high is below open or close': 1,
    'volume is negative': 1,
    'close is not a finite number': 1,
    'open time is not aligned to 1m': 1,
    'open time is not epoch milliseconds or microseconds': 1,
    'fewer than 6 fields': 1
  })
  t.equal((await store.getCandles({ symbol: 'BAD', interval: '1m', from: 0, limit: 10 })).length, 2)
})

t.test('the SQL validation of archive lines agrees with candleDefect on every rule', async (t) => {
  const dir = tempDir(t)
  const store = await memoryStore(t)
  const good = { symbol: 'P', ts: Date.UTC(2024, 0, 1), open: 10, high: 12, low: 9, close: 11, volume: 5 }
  const variants: Array<Partial<typeof good>> = [
    {}, { open: -1 }, { high: -1, low: -2, open: -1.5, close: -1.2 }, { low: -0.5 }, { close: -3 }, { volume: -1 },
    { open: Number.NaN }, { high: Number.POSITIVE_INFINITY }, { low: Number.NaN }, { close: Number.NEGATIVE_INFINITY }, { volume: Number.NaN },
    { high: 10.5 }, { high: 10.99 }, { low: 10.5 }, { low: 11 }, { ts: good.ts + 1 }, { ts: good.ts + 30_000 }, { open: 0, close: 0, low: 0, high: 0, volume: 0 }
  ]
  const intervals = ['1m', '1h', '1w', '1M'] as const
  for (const interval of intervals) {
    const lines: string[] = []
    const expected = new Map<string, number>()
    variants.forEach((v, i) => {
      const c = { ...good, ...v, interval, ts: (v.ts ?? good.ts) + i * (interval === '1M' ? 0 : 7 * 86_400_000) }
      // Each variant in its own month for 1M, so open times stay distinct and aligned where meant.
      if (interval === '1M') c.ts = Date.UTC(2024, i, 1) + (v.ts === undefined ? 0 : v.ts - good.ts)
      const reason = candleDefect(c)
      if (reason !== undefined) expected.set(reason, (expected.get(reason) ?? 0) + 1)
      lines.push([c.ts, c.open, c.high, c.low, c.close, c.volume, c.ts + 59_999].join(','))
    })
    const path = join(dir, `P-${interval}.csv`)
    writeFileSync(path, lines.join('\n'))
    const [r] = await store.loadKlineCsv([{ path, symbol: `P${intervals.indexOf(interval)}`, interval }])
    t.same(Object.fromEntries(r!.rejected), Object.fromEntries(expected), `${interval}: the same rejections and reasons`)
    t.equal(r!.stored, variants.length - [...expected.values()].reduce((a, b) => a + b, 0))
  }
})

t.test('import of CSV (ms and µs) and zip archives stores every valid row', async (t) => {
  const dir = tempDir(t)
  const dec = Date.UTC(2024, 11, 1)
  const jan = Date.UTC(2025, 0, 1)
  const files = {
    csvMs: join(dir, 'BTCUSDT-1m-2024-12.csv'),
    zipUs: join(dir, 'BTCUSDT-1m-2025-01-01.zip'),
    csvUs: join(dir, 'ETHUSDT-1m-2025-01-01.csv'),
    broken: join(dir, 'ETHUSDT-1m-2025-01-02.zip'),
    unnamed: join(dir, 'candles.csv')
  }
  writeFileSync(files.csvMs, archiveCsv('BTCUSDT', dec, dec + 31 * DAY))
  writeFileSync(files.zipUs, zipOf('BTCUSDT-1m-2025-01-01.csv', archiveCsv('BTCUSDT', jan, jan + DAY, true)))
  writeFileSync(files.csvUs, archiveCsv('ETHUSDT', jan, jan + DAY, true) + '1735776000000000,1,0.5,0.5,1,1,0\n')
  writeFileSync(files.broken, 'not a zip')
  writeFileSync(files.unnamed, archiveCsv('ETHUSDT', jan, jan + MIN))
  t.same(readZip(zipOf('a.csv', 'hello')).map((e) => [e.name, e.data.toString()]), [['a.csv', 'hello']])

  const store = await memoryStore(t)
  const report = await importArchives(Object.values(files), { store, log: silentLog })
  t.equal(report.read, 31 * 1440 + 1440 + 1441)
  t.equal(report.stored, 31 * 1440 + 1440 + 1440, 'every valid row')
  t.equal(report.rejected, 1)
  t.same(report.reasons, { 'high is below open or close': 1 })
  t.match(report.files.find((f) => f.path === files.broken)!.error, /not a zip/)
  t.match(report.files.find((f) => f.path === files.unnamed)!.error, /file name/)
  const btc = await store.getCandles({ symbol: 'BTCUSDT', interval: '1m', from: dec, limit: 5000 })
  t.same(btc.slice(0, 3), minuteCandles('BTCUSDT', dec, dec + 3 * MIN).map((c) => [c.ts, c.open, c.high, c.low, c.close, c.volume]))
  const janRows = await store.getCandles({ symbol: 'BTCUSDT', interval: '1m', from: jan, limit: 5000 })
  t.same(janRows, minuteCandles('BTCUSDT', jan, jan + DAY).map((c) => [c.ts, c.open, c.high, c.low, c.close, c.volume]), 'the zipped µs file')
  const again = await importArchives([files.csvMs], { store, log: silentLog })
  t.equal(again.stored, 31 * 1440, 'a re-import replaces in place')
  t.equal((await store.intervalRanges('BTCUSDT')).find((r) => r.interval === '1m')!.count, 32 * 1440, 'no duplicates')
})

t.test('the import and backfill commands', async (t) => {
  const dir = tempDir(t)
  const db = join(dir, 'cli.duckdb')
  const jan = Date.UTC(2025, 0, 1)
  writeFileSync(join(dir, 'BTCUSDT-1m-2025-01-01.zip'), zipOf('BTCUSDT-1m-2025-01-01.csv', archiveCsv('BTCUSDT', jan, jan + DAY, true)))
  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts', ...args, '--duckdb', db, '--log-level', 'warn'], { encoding: 'utf8', timeout: 120_000 })
  const imp = cli('import', dir)
  t.equal(imp.status, 0, imp.stderr)
  t.match(imp.stdout, /import done: 1 file\(s\), 1440 rows read, 1440 stored, 0 rejected/)
  t.equal(cli('import').status, 2, 'import without files is a usage error')

  const bf = cli('backfill', '--exchange', 'simulator', '--symbols', 'ETHUSDT', '--from', '2024-01-01', '--to', '2024-01-02')
  t.equal(bf.status, 0, bf.stderr)
  t.match(bf.stdout, /ETHUSDT 1m: 2880 stored/, '--to DATE runs through the end of that day')
  t.match(bf.stdout, /backfill done: 2880 candles stored/)
  const again = cli('backfill', '--exchange', 'simulator', '--symbols', 'ETHUSDT', '--from', '2024-01-01', '--to', '2024-01-02')
  t.match(again.stdout, /backfill done: 0 candles stored/)
  t.equal(cli('backfill', '--intervals', '7m').status, 2)

  const store = await DuckDbCandleStore.open({ path: db })
  t.teardown(() => store.close())
  t.same(store.listSymbols(), ['BTCUSDT', 'ETHUSDT'])
})
