// Starting on the C++ service's market.duckdb: migrated whole, every candle served as the old
// service served it, the original kept, and the same answers on the next start.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { DuckDBInstance } from '@duckdb/node-api'
import { minuteCandles } from '../../../src/exchange/simulator/price-model.js'
import type { Log } from '../../../src/log.js'
import { DuckDbCandleStore } from '../../../src/store/duckdb/duckdb-candle-store.js'
import { openDatabase } from '../../../src/store/duckdb/database.js'
import { isLegacySchema } from '../../../src/store/duckdb/legacy-file.js'
import { DAY, MIN, T0, json, tempDir, testApp, type Teardown } from '../../helpers.js'

const HOUR = 60 * MIN
type Row = [string, string, number, number, number, number, number, number]

/** Writes a file with the old service's schema through a DuckDB instance of its own, as that service did. */
async function legacyFile (path: string, rows: readonly Row[], catalog?: Array<[string, string | null, string | null]>): Promise<void> {
  const db = await DuckDBInstance.create(path)
  const con = await db.connect()
  await con.run(`CREATE TABLE candles (symbol TEXT, interval TEXT, ts BIGINT, o DOUBLE, h DOUBLE, l DOUBLE, c DOUBLE, v DOUBLE,
                 PRIMARY KEY (symbol, interval, ts))`)
  for (const r of rows) await con.run('INSERT INTO candles VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', r)
  if (catalog !== undefined) {
    await con.run('CREATE TABLE catalog_symbols (symbol TEXT, base TEXT, quote TEXT)')
    for (const r of catalog) await con.run('INSERT INTO catalog_symbols VALUES ($1, $2, $3)', r)
  }
  con.closeSync()
  db.closeSync()
}

/** What the old service served for a stored row: ts in (0, 1e12) read as seconds. */
const served = (r: Row): number[] => [r[2] > 0 && r[2] < 1e12 ? r[2] * 1000 : r[2], r[3], r[4], r[5], r[6], r[7]]

function legacyRows (): Row[] {
  const rows: Row[] = []
  // BTCUSDT 1m over 3 hours: the first hour written in seconds, as early versions did.
  for (const c of minuteCandles('BTCUSDT', T0, T0 + 3 * HOUR)) {
    rows.push(['BTCUSDT', '1m', c.ts < T0 + HOUR ? c.ts / 1000 : c.ts, c.open, c.high, c.low, c.close, c.volume])
  }
  // ETHUSDT 1h and 1d bars stored natively, some in seconds; and 5m.
  for (let i = 0; i < 48; i++) {
    const ts = T0 + i * HOUR
    rows.push(['ETHUSDT', '1h', i % 3 === 0 ? ts / 1000 : ts, 2000 + i, 2010 + i, 1990 + i, 2005 + i, 10 + i / 8])
  }
  rows.push(['ETHUSDT', '1d', T0 / 1000, 2000, 2100, 1900, 2050, 555.5], ['ETHUSDT', '1d', T0 + DAY, 2050, 2200, 2000, 2150, 444.25])
  for (let i = 0; i < 12; i++) rows.push(['ETHUSDT', '5m', T0 + i * 5 * MIN, 2000, 2001, 1999, 2000.5, 1.25])
  // One minute stored twice, in seconds and in milliseconds, with the same values.
  const dup = rows.find((r) => r[0] === 'BTCUSDT' && r[2] === (T0 + 10 * MIN) / 1000)!
  rows.push(['BTCUSDT', '1m', T0 + 10 * MIN, dup[3], dup[4], dup[5], dup[6], dup[7]])
  return rows
}

function capturingLog (): Log & { lines: string[] } {
  const lines: string[] = []
  const record = (_: unknown, msg?: string) => { if (msg !== undefined) lines.push(msg) }
  const log = { trace: record, debug: record, info: record, warn: record, error: record, fatal: record, child: () => log, lines }
  return log
}

/** Every candle the service serves for the series of `rows`, keyed by symbol and interval. */
async function servedCandles (t: Teardown, path: string, series: ReadonlyArray<[string, string]>, store?: DuckDbCandleStore): Promise<Record<string, number[][]>> {
  const app = await testApp(t, { STORAGE: 'duck', DUCKDB: path }, store === undefined ? {} : { store })
  const out: Record<string, number[][]> = {}
  for (const [symbol, interval] of series) {
    const res = await app.inject({ url: `/api/v1/candles?symbol=${symbol}&interval=${interval}&from=0&limit=5000` })
    out[`${symbol} ${interval}`] = json<{ data: number[][] }>(res).data
  }
  out.symbols = json<{ symbols: Array<{ symbol: string, base?: string, quote?: string }> }>(await app.inject({ url: '/api/v1/symbols?active=false' }))
    .symbols.map((s) => [s.symbol, s.base ?? '', s.quote ?? ''] as unknown as number[])
  await app.close()
  return out
}

t.test('a legacy file is migrated whole on start, served as the old service served it, and the same on the next start', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'market.duckdb')
  const rows = legacyRows()
  await legacyFile(path, rows, [['BTCUSDT', 'BTC', 'USDT'], ['ethusdt', 'ETHER', 'TETHER'], ['XRPUSDT', '', null]])

  const log = capturingLog()
  const store = await DuckDbCandleStore.open({ path, log })
  const series: Array<[string, string]> = [['BTCUSDT', '1m'], ['ETHUSDT', '1h'], ['ETHUSDT', '1d'], ['ETHUSDT', '5m']]
  const first = await servedCandles(t, path, series, store)
  await store.close()

  const expected = (symbol: string, interval: string) => {
    const byTs = new Map(rows.filter((r) => r[0] === symbol && r[1] === interval).map((r) => [served(r)[0], served(r)]))
    return [...byTs.values()].sort((a, b) => a[0]! - b[0]!)
  }
  for (const [symbol, interval] of series) {
    t.same(first[`${symbol} ${interval}`], expected(symbol, interval), `${symbol} ${interval}: every stored row served, ts in ms, values unchanged`)
  }
  t.equal(first['BTCUSDT 1m']!.length, 180, 'the minute stored twice is served once')
  t.same(first.symbols, [['BTCUSDT', 'BTC', 'USDT'], ['ETHUSDT', 'ETHER', 'TETHER']], 'base and quote from catalog_symbols')

  const message = log.lines.find((l) => l.startsWith("migrated the C++ service's database file"))
  t.ok(message, 'the log says a legacy file was migrated')
  t.match(message, /243 candles \(2 1d, 48 1h, 180 1m, 12 5m\), 77 open times converted from seconds to milliseconds/)
  t.ok(existsSync(`${path}.legacy-backup`), 'the original is kept')
  const backup = await openDatabase(`${path}.legacy-backup`)
  const con = await backup.connect()
  t.ok(await isLegacySchema(con), 'the kept file is the untouched legacy file')
  t.equal(Number((await con.runAndReadAll('SELECT count(*) FROM candles')).getRows()[0]![0]), rows.length)
  con.closeSync()
  backup.release()

  // 1h and above roll up from the migrated minutes for BTCUSDT, which had no native 1h rows.
  const second = await servedCandles(t, path, series)
  t.same(second, first, 'the second start serves exactly the same candles')
  t.notOk(existsSync(`${path}.legacy-backup.1`), 'and migrates nothing again')

  const db = await openDatabase(path)
  const c2 = await db.connect()
  const versions = (await c2.runAndReadAll('SELECT version FROM schema_migrations ORDER BY version')).getRows().map((r) => Number(r[0]))
  t.same(versions, [0, 1, 2, 3, 4], 'the conversion and every migration recorded once')
  const [[hours]] = (await c2.runAndReadAll("SELECT count(*)::INTEGER FROM candle_rollups WHERE symbol = 'BTCUSDT'")).getRows()
  t.equal(hours, 3, 'hourly roll-ups built')
  c2.closeSync()
  db.release()
})

t.test('a legacy file with one candle stored twice with different values is refused, untouched', async (t) => {
  const path = join(tempDir(t), 'market.duckdb')
  await legacyFile(path, [['BTCUSDT', '1m', T0 / 1000, 1, 2, 0.5, 1.5, 3], ['BTCUSDT', '1m', T0, 1, 2, 0.5, 1.6, 3]])
  await t.rejects(DuckDbCandleStore.open({ path, log: capturingLog() }), /1 candles are stored twice with different values.*BTCUSDT 1m 1704067200000/)
  const db = await openDatabase(path)
  const con = await db.connect()
  t.ok(await isLegacySchema(con), 'the file keeps its old schema')
  t.equal(Number((await con.runAndReadAll('SELECT count(*) FROM candles')).getRows()[0]![0]), 2)
  con.closeSync()
  db.release()
  t.notOk(existsSync(`${path}.migrating`), 'no half-built file is left behind')
  t.notOk(existsSync(`${path}.legacy-backup`))
})

t.test('a migration is recorded only when it did its work', async (t) => {
  const path = join(tempDir(t), 'odd.duckdb')
  const db = await DuckDBInstance.create(path)
  const con = await db.connect()
  await con.run('CREATE TABLE candles (a INTEGER)')
  con.closeSync()
  db.closeSync()
  await t.rejects(DuckDbCandleStore.open({ path, log: capturingLog() }), /migration 1 \(candles\) failed: it ran but left the schema otherwise/)
  const h = await openDatabase(path)
  const c = await h.connect()
  t.same((await c.runAndReadAll('SELECT version FROM schema_migrations')).getRows(), [], 'migration 1 not recorded')
  c.closeSync()
  h.release()
  t.ok(existsSync(`${path}.pre-migration-1`), 'a copy was kept before the schema was touched')
})
