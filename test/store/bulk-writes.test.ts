// Bulk writes in bounded parts, recovery after a failed write, and a restore that loads in parts.
// Sizes and memory figures belong to bench/; these tests check what is stored.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { DuckDBConnection } from '@duckdb/node-api'
import type { Candle } from '../../src/domain/candle.js'
import { minuteCandles } from '../../src/exchange/simulator/price-model.js'
import { CheckpointBudget, MAX_TRANSACTION_ROWS } from '../../src/store/duckdb/bulk-writes.js'
import { DuckDbCandleStore } from '../../src/store/duckdb/duckdb-candle-store.js'
import { restoreDatabase } from '../../src/store/duckdb/backup-restore.js'
import { openDatabase } from '../../src/store/duckdb/database.js'
import { MIN, T0, tempDir, type Teardown } from '../helpers.js'

const HOUR = 60 * MIN

async function fileStore (t: Teardown, path: string): Promise<DuckDbCandleStore> {
  const store = await DuckDbCandleStore.open({ path, threads: 2, memoryLimit: '192MB' })
  t.teardown(() => store.close())
  return store
}

/** A second connection to the same database (the registry shares one DuckDB instance per file). */
async function sideConnection (t: Teardown, path: string): Promise<DuckDBConnection> {
  const db = await openDatabase(path)
  const con = await db.connect()
  t.teardown(() => {
    con.closeSync()
    db.release()
  })
  return con
}

const rowKey = (c: Candle) => `${c.symbol}|${c.interval}|${c.ts}|${c.open}|${c.high}|${c.low}|${c.close}|${c.volume}`

/** Every stored candle, in key order, as comparable strings. */
async function storedRows (con: DuckDBConnection): Promise<string[]> {
  const rows = (await con.runAndReadAll(
    'SELECT symbol, interval, ts::DOUBLE, open, high, low, close, volume FROM candles ORDER BY symbol, interval, ts')).getRows()
  return rows.map((r) => r.join('|'))
}

const expectedRows = (candles: readonly Candle[]) =>
  [...new Map(candles.map((c) => [`${c.symbol}|${c.interval}|${c.ts}`, c])).values()]
    .sort((a, b) => a.symbol.localeCompare(b.symbol) || a.ts - b.ts).map(rowKey)

/** The 1h bars served, which come from the hourly roll-ups the writes keep. */
async function hourBars (store: DuckDbCandleStore, symbol: string): Promise<number> {
  return (await store.getCandles({ symbol, interval: '1h', limit: 5000 })).length
}

t.test('the checkpoint budget', async (t) => {
  const budget = new CheckpointBudget(10)
  t.equal(budget.committed(6), false)
  t.equal(budget.committed(4), true, 'due once the rows add up')
  budget.checkpointed()
  t.equal(budget.committed(9), false, 'counting starts again after a checkpoint')
})

t.test('a write larger than one transaction is stored whole, in parts', async (t) => {
  const path = join(tempDir(t), 'big.duckdb')
  const store = await fileStore(t, path)
  const con = await sideConnection(t, path)
  const rows = MAX_TRANSACTION_ROWS * 2 + 1234
  const candles = minuteCandles('BTCUSDT', T0, T0 + rows * MIN)
  const seen: number[] = []
  store.onWrite((_, info) => seen.push(info.rows))
  const r = await store.upsertBatch(candles)
  t.equal(r.rows, rows)
  t.same(r.symbols, ['BTCUSDT'])
  t.same(seen, [MAX_TRANSACTION_ROWS, MAX_TRANSACTION_ROWS, 1234], 'committed in parts of at most MAX_TRANSACTION_ROWS')
  t.same(await storedRows(con), expectedRows(candles), 'every row stored exactly')
  t.same(store.storedRange('BTCUSDT', '1m'), { first: T0, last: T0 + (rows - 1) * MIN })
  t.equal(await hourBars(store, 'BTCUSDT'), Math.ceil(rows / 60), 'the roll-ups cover every hour')
})

t.test('an archive CSV larger than one transaction is stored whole, a key repeated across parts once', async (t) => {
  const dir = tempDir(t)
  const store = await fileStore(t, join(dir, 'csv.duckdb'))
  const con = await sideConnection(t, join(dir, 'csv.duckdb'))
  const rows = MAX_TRANSACTION_ROWS + 20_000
  const candles = minuteCandles('BTCUSDT', T0, T0 + rows * MIN)
  const line = (c: Candle) => [c.ts, c.open, c.high, c.low, c.close, c.volume, c.ts + MIN - 1, 0, 1, 0, 0, 0].join(',')
  // The first minute again at the end, in the second part of the load, with a different close.
  const repeated = { ...candles[0]!, close: candles[0]!.low }
  const path = join(dir, 'BTCUSDT-1m-2024-01.csv')
  writeFileSync(path, [...candles.map(line), line(repeated)].join('\n') + '\n')
  const [r] = await store.loadKlineCsv([{ path, symbol: 'BTCUSDT', interval: '1m' }])
  t.equal(r!.rows, rows + 1, 'every line read')
  t.equal(r!.stored, rows, 'keys stored, the repeated one once')
  t.same(await storedRows(con), expectedRows([...candles, repeated]), 'the later line of a repeated key wins')
  t.equal(await hourBars(store, 'BTCUSDT'), Math.ceil(rows / 60))
})

t.test('after a write fails the store recovers, with no phantom duplicate keys and nothing committed lost', async (t) => {
  const path = join(tempDir(t), 'fail.duckdb')
  const store = await fileStore(t, path)
  const con = await sideConnection(t, path)
  const first = minuteCandles('BTCUSDT', T0, T0 + 20_000 * MIN)
  await store.upsertBatch(first)
  const before = await storedRows(con)

  // Out of memory: the limit set just above what DuckDB holds, for one 60,000-row write.
  const next = minuteCandles('BTCUSDT', T0 + 20_000 * MIN, T0 + 80_000 * MIN)
  const [[used]] = (await con.runAndReadAll('SELECT sum(memory_usage_bytes)::BIGINT FROM duckdb_memory()')).getRows() as [[bigint]]
  await con.run(`SET memory_limit = '${Math.ceil(Number(used) / 1024) + 2048}KiB'`)
  await t.rejects(store.upsertBatch(next), /memory|allocate|pin block/i, 'the write fails for lack of memory')
  await con.run("SET memory_limit = '192MB'")
  t.same(await storedRows(con), before, 'the failed write changed nothing')
  t.same(store.storedRange('BTCUSDT', '1m'), { first: T0, last: T0 + 19_999 * MIN })

  // A failure inside the transaction, after the candles went in: the roll-up table is away.
  await con.run('ALTER TABLE candle_rollups RENAME TO candle_rollups_away')
  await t.rejects(store.upsertBatch(next), 'the write fails halfway through its transaction')
  await t.rejects(store.upsertBatch([next[0]!]), 'a one-row write fails the same way')
  await con.run('ALTER TABLE candle_rollups_away RENAME TO candle_rollups')
  t.same(await storedRows(con), before, 'the rolled-back writes changed nothing')

  // Later writes succeed: the same rows again, an overlap with stored rows, new rows, one row.
  t.equal((await store.upsertBatch(next)).rows, next.length)
  const overlap = minuteCandles('BTCUSDT', T0 + 10_000 * MIN, T0 + 30_000 * MIN)
  t.equal((await store.upsertBatch(overlap)).rows, overlap.length)
  const later = minuteCandles('BTCUSDT', T0 + 80_000 * MIN, T0 + 81_000 * MIN)
  await store.upsertBatch(later)
  const one = minuteCandles('BTCUSDT', T0 + 81_000 * MIN, T0 + 81_001 * MIN)
  await store.upsertBatch(one)
  const all = [...first, ...next, ...overlap, ...later, ...one]
  t.same(await storedRows(con), expectedRows(all), 'the store holds exactly what was committed')
  t.equal(await hourBars(store, 'BTCUSDT'), Math.ceil(81_001 / 60), 'roll-ups in step')
  await store.close()

  // Reopened, the file holds the same.
  const reopened = await fileStore(t, path)
  const con2 = await sideConnection(t, path)
  t.same(await storedRows(con2), expectedRows(all), 'durable across a reopen')
  t.same(reopened.storedRange('BTCUSDT', '1m'), { first: T0, last: T0 + 81_000 * MIN })
})

t.test('restore loads a backup in parts and reproduces every table', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'src.duckdb')
  const store = await fileStore(t, path)
  const candles = [
    ...minuteCandles('BTCUSDT', T0, T0 + (MAX_TRANSACTION_ROWS + 5000) * MIN),
    ...minuteCandles('ETHUSDT', T0, T0 + 3 * HOUR)
  ]
  await store.upsertBatch(candles)
  await store.upsertBatch([{ symbol: 'ETHUSDT', interval: '1d', ts: T0, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 }])
  await store.backup(join(dir, 'backup'))
  await store.close()

  const restored = join(dir, 'restored.duckdb')
  await restoreDatabase(restored, join(dir, 'backup'), { memoryLimit: '192MB' })
  await t.rejects(restoreDatabase(restored, join(dir, 'backup')), /already exists/, 'never over an existing file')
  const con = await sideConnection(t, restored)
  await con.run(`ATTACH '${path.replace(/'/g, "''")}' AS original (READ_ONLY)`)
  for (const table of ['candles', 'candle_rollups', 'candle_series', 'schema_migrations']) {
    const [[a, b, diff]] = (await con.runAndReadAll(`
      SELECT (SELECT count(*) FROM original.${table})::INTEGER, (SELECT count(*) FROM ${table})::INTEGER,
             (SELECT count(*) FROM (SELECT * FROM original.${table} EXCEPT SELECT * FROM ${table}))::INTEGER`)).getRows() as [[number, number, number]]
    t.equal(b, a, `${table}: as many rows`)
    t.equal(diff, 0, `${table}: the same rows`)
  }
  const reopened = await fileStore(t, restored)
  t.same(reopened.listSymbols(), ['BTCUSDT', 'ETHUSDT'])
  t.same(reopened.storedRange('ETHUSDT', '1d'), { first: T0, last: T0 })
})
