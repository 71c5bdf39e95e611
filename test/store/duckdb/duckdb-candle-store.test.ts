import { join } from 'node:path'
import t from 'tap'
import type { CandleTuple } from '../../../src/domain/candle.js'
import { minuteCandle, minuteCandles } from '../../../src/exchange/simulator/price-model.js'
import { DuckDbCandleStore } from '../../../src/store/duckdb/duckdb-candle-store.js'
import { openDatabase } from '../../../src/store/duckdb/database.js'
import { loadMigrations, migrate } from '../../../src/store/migrations.js'
import { DAY, MIN, T0, memoryStore, seededStore, tempDir } from '../../helpers.js'

const HOUR = 60 * MIN
const tuple = (symbol: string, ts: number): CandleTuple => {
  const c = minuteCandle(symbol, ts)
  return [c.ts, c.open, c.high, c.low, c.close, c.volume]
}

// An independent roll-up: group 1m candles by a bucket function written here, not the service's.
function rollUp (rows: CandleTuple[], bucketOf: (ts: number) => number): CandleTuple[] {
  const out = new Map<number, { bar: CandleTuple, units: bigint }>()
  for (const r of rows) {
    const b = bucketOf(r[0])
    const units = BigInt(Math.round(r[5] * 1e8))
    const cur = out.get(b)
    if (cur === undefined) out.set(b, { bar: [b, r[1], r[2], r[3], r[4], 0], units })
    else {
      cur.bar[2] = Math.max(cur.bar[2], r[2])
      cur.bar[3] = Math.min(cur.bar[3], r[3])
      cur.bar[4] = r[4]
      cur.units += units
    }
  }
  return [...out.values()].map(({ bar, units }) => { bar[5] = Number(units) / 1e8; return bar }).sort((a, b) => a[0] - b[0])
}

const mondayOf = (ts: number) => {
  const d = new Date(ts)
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
  return midnight - ((d.getUTCDay() + 6) % 7) * DAY
}
const monthOf = (ts: number) => {
  const d = new Date(ts)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
}

t.test('reads follow the REST semantics over 10 days of 1m candles', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 10)
  const last = T0 + 10 * DAY - MIN
  const q = { symbol: 'BTCUSDT', interval: '1m' as const }

  const latest = await store.getCandles({ ...q, limit: 5 })
  t.same(latest, [4, 3, 2, 1, 0].map((k) => tuple('BTCUSDT', last - k * MIN)), 'latest N, ascending, exact values')

  const to = T0 + 3 * DAY + 17 * MIN
  t.same((await store.getCandles({ ...q, to, limit: 3 })).map((r) => r[0]), [to - 2 * MIN, to - MIN, to], 'to only: the N at or before to')
  t.same((await store.getCandles({ ...q, to: to + 30_000, limit: 1 }))[0]![0], to, 'to inside a minute keeps the minute that opened before it')

  const from = T0 + DAY + 5 * MIN
  t.same((await store.getCandles({ ...q, from, limit: 3 })).map((r) => r[0]), [from, from + MIN, from + 2 * MIN], 'from only: the first N at or after from')
  t.same((await store.getCandles({ ...q, from: from + 1, limit: 1 }))[0]![0], from + MIN, 'a from inside a minute starts at the next open')
  t.same((await store.getCandles({ ...q, from, to: from + 10 * MIN, limit: 3 })).map((r) => r[0]), [from, from + MIN, from + 2 * MIN], 'both: the first N in range')
  t.equal((await store.getCandles({ ...q, from, to: from + 10 * MIN, limit: 100 })).length, 11, 'both bounds are inclusive')

  t.same(await store.getCandles({ ...q, from: last + MIN, limit: 5 }), [], 'from after the last candle is empty')
  t.same(await store.getCandles({ ...q, to: T0 - 1, limit: 5 }), [], 'to before the first candle is empty')
  t.equal((await store.getCandles({ ...q, to: T0 + 2 * MIN, limit: 10 })).length, 3, 'backwards reads stop at the first candle')
  t.same(await store.getCandles({ ...q, symbol: 'ETHUSDT', limit: 5 }), [], 'unknown symbol reads nothing')
})

t.test('reads widen their window across holes in the data', async (t) => {
  const store = await memoryStore(t)
  // Three islands of minutes separated by a day-long and an hour-long hole.
  const island = (start: number, n: number) => minuteCandles('BTCUSDT', start, start + n * MIN)
  await store.upsertBatch([...island(T0, 10), ...island(T0 + DAY, 10), ...island(T0 + DAY + 2 * HOUR, 10)])
  const latest = await store.getCandles({ symbol: 'BTCUSDT', interval: '1m', limit: 25 })
  t.equal(latest.length, 25)
  t.equal(latest[0]![0], T0 + 5 * MIN, 'the newest 25 reach back across both holes')
  const forward = await store.getCandles({ symbol: 'BTCUSDT', interval: '1m', from: T0 + 5 * MIN, limit: 8 })
  t.same(forward.map((r) => r[0]), [5, 6, 7, 8, 9].map((k) => T0 + k * MIN).concat([0, 1, 2].map((k) => T0 + DAY + k * MIN)))
  const back = await store.getCandles({ symbol: 'BTCUSDT', interval: '1m', to: T0 + DAY + 2 * HOUR + MIN, limit: 4 })
  t.same(back.map((r) => r[0]), [T0 + DAY + 8 * MIN, T0 + DAY + 9 * MIN, T0 + DAY + 2 * HOUR, T0 + DAY + 2 * HOUR + MIN])
})

t.test('roll-ups equal an independent computation from the 1m rows', async (t) => {
  // 70 days from a Wednesday in late January: crosses month ends and several Mondays.
  const from = Date.UTC(2024, 0, 24, 13, 7)
  const days = 70
  const store = await seededStore(t, ['ETHUSDT'], days, from)
  const rows = minuteCandles('ETHUSDT', from, from + days * DAY).map((c): CandleTuple => [c.ts, c.open, c.high, c.low, c.close, c.volume])
  const cases: Array<[string, (ts: number) => number]> = [
    ['1h', (ts) => ts - (ts % HOUR)],
    ['4h', (ts) => ts - (ts % (4 * HOUR))],
    ['1d', (ts) => ts - (ts % DAY)],
    ['1w', mondayOf],
    ['1M', monthOf]
  ]
  for (const [interval, bucketOf] of cases) {
    const expected = rollUp(rows, bucketOf)
    const got = await store.getCandles({ symbol: 'ETHUSDT', interval: interval as '1h', limit: 5000 })
    t.same(got, expected, `${interval}: every bar equals the independent roll-up`)
  }
  const weeks = await store.getCandles({ symbol: 'ETHUSDT', interval: '1w', limit: 100 })
  t.ok(weeks.every((w) => new Date(w[0]).getUTCDay() === 1 && w[0] % DAY === 0), '1w buckets open on Monday 00:00 UTC')
  const months = await store.getCandles({ symbol: 'ETHUSDT', interval: '1M', limit: 100 })
  t.same(months.map((m) => new Date(m[0]).toISOString().slice(0, 10)), ['2024-01-01', '2024-02-01', '2024-03-01', '2024-04-01'])

  const lastHours = await store.getCandles({ symbol: 'ETHUSDT', interval: '1h', limit: 3 })
  t.same(lastHours, rollUp(rows, cases[0]![1]).slice(-3), 'latest N roll-up bars, including the forming one')
  const hourTo = from + 10 * DAY + 30 * MIN
  const back = await store.getCandles({ symbol: 'ETHUSDT', interval: '1h', to: hourTo, limit: 2 })
  t.same(back.map((r) => r[0]), [hourTo - 30 * MIN - HOUR - (hourTo % HOUR) + 30 * MIN, hourTo - (hourTo % HOUR)], 'to selects bars by open time')
})

t.test('upsert replaces by key, dedupes within a batch and notifies writers', async (t) => {
  const store = await memoryStore(t)
  const seen: string[][] = []
  store.onWrite((s) => seen.push([...s]))
  const c = minuteCandle('BTCUSDT', T0)
  const r1 = await store.upsertBatch([c, { ...c, close: c.close + 1, high: c.high + 1 }, minuteCandle('ETHUSDT', T0)])
  t.equal(r1.rows, 2, 'a key twice in one batch counts once')
  const [row] = await store.getCandles({ symbol: 'BTCUSDT', interval: '1m', limit: 1 })
  t.equal(row![4], c.close + 1, 'the last version in the batch wins')
  await store.upsertBatch([c])
  t.equal((await store.getCandles({ symbol: 'BTCUSDT', interval: '1m', limit: 1 }))[0]![4], c.close, 'a later batch replaces')
  t.same(seen, [['BTCUSDT', 'ETHUSDT'], ['BTCUSDT']])
  t.same(store.listSymbols(), ['BTCUSDT', 'ETHUSDT'])
  t.same((await store.upsertBatch([])).rows, 0)
})

t.test('interval ranges report first/last per interval', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 3)
  await store.upsertBatch([{ symbol: 'BTCUSDT', interval: '1d', ts: T0 - DAY, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 }])
  const ranges = await store.intervalRanges('BTCUSDT')
  const byName = Object.fromEntries(ranges.map((r) => [r.interval, r]))
  t.same(byName['1m'], { interval: '1m', first: T0, last: T0 + 3 * DAY - MIN, native: true, count: 3 * 1440 })
  t.same(byName['1d'], { interval: '1d', first: T0 - DAY, last: T0 - DAY, native: true, count: 1 }, 'a natively stored interval is served as stored')
  t.same(byName['1h'], { interval: '1h', first: T0, last: T0 + 3 * DAY - HOUR, native: false })
  t.equal(ranges.length, 14, 'every Binance interval is servable from 1m')
  t.same(await store.intervalRanges('NOPE'), [])
})

t.test('a file store keeps every candle across restarts and migrations run once', async (t) => {
  const path = join(tempDir(t), 'nested', 'market.duckdb')
  const first = await DuckDbCandleStore.open({ path })
  await first.upsertBatch(minuteCandles('BTCUSDT', T0, T0 + 2 * DAY))
  const before = await first.getCandles({ symbol: 'BTCUSDT', interval: '1m', limit: 5000 })
  await first.close()

  const second = await DuckDbCandleStore.open({ path })
  t.teardown(() => second.close())
  t.same(await second.getCandles({ symbol: 'BTCUSDT', interval: '1m', limit: 5000 }), before, 'every candle survives a restart')
  t.same(second.storedRange('BTCUSDT', '1m'), { first: T0, last: T0 + 2 * DAY - MIN })
  const db = await openDatabase(path)
  t.teardown(() => db.release())
  t.equal(db.instance, (await openDatabase(path)).instance, 'one DuckDB instance per file per process')
  db.release()
  const con = await db.connect()
  const versions = (await con.runAndReadAll('SELECT version FROM schema_migrations ORDER BY version')).getRows().map((r) => Number(r[0]))
  con.closeSync()
  t.same(versions, loadMigrations().map((m) => m.version), 'each migration is recorded exactly once')
})

t.test('the hourly roll-up table follows every write and delete of 1m candles', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 3)
  const expectHours = async (what: string) => {
    const rows = await store.getCandles({ symbol: 'BTCUSDT', interval: '1m', from: 0, limit: 100_000 })
    t.same(await store.getCandles({ symbol: 'BTCUSDT', interval: '1h', from: 0, limit: 1000 }), rollUp(rows, (ts) => ts - (ts % HOUR)), `1h after ${what}`)
    t.same(await store.getCandles({ symbol: 'BTCUSDT', interval: '1d', from: 0, limit: 1000 }), rollUp(rows, (ts) => ts - (ts % DAY)), `1d after ${what}`)
  }
  await expectHours('seeding')
  await store.upsertBatch([{ ...minuteCandle('BTCUSDT', T0 + DAY + 17 * MIN), high: 1e6, volume: 12.5 }])
  await expectHours('replacing one minute')
  await store.deleteRange('BTCUSDT', '1m', T0 + 30 * HOUR + 20 * MIN, T0 + 32 * HOUR + 10 * MIN)
  await expectHours('deleting minutes across hour boundaries')
  await store.deleteRange('BTCUSDT', '1m', T0 + 40 * HOUR, T0 + 41 * HOUR - MIN)
  await expectHours('deleting a whole hour')
  await store.deleteOlderThan('1m', T0 + DAY + 25 * MIN)
  await expectHours('retention with a cutoff inside an hour')
  const bar = await store.barSoFar('BTCUSDT', '1d', T0 + 2 * DAY)
  const day = await store.getCandles({ symbol: 'BTCUSDT', interval: '1d', from: T0 + 2 * DAY, to: T0 + 2 * DAY, limit: 1 })
  t.same(bar, { bar: day[0], lastMinute: T0 + 3 * DAY - MIN }, 'the live aggregation starts from the roll-ups')
})

t.test('appended minutes extend the hourly roll-ups exactly as a recompute would', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 3)
  const end = T0 + 3 * DAY
  const expectHours = async (symbol: string, what: string) => {
    const rows = await store.getCandles({ symbol, interval: '1m', from: 0, limit: 100_000 })
    t.same(await store.getCandles({ symbol, interval: '1h', from: 0, limit: 1000 }), rollUp(rows, (ts) => ts - (ts % HOUR)), `1h after ${what}`)
    t.same(await store.getCandles({ symbol, interval: '1d', from: 0, limit: 1000 }), rollUp(rows, (ts) => ts - (ts % DAY)), `1d after ${what}`)
    const last = rows.at(-1)![0]
    t.equal((await store.barSoFar(symbol, '4h', last - (last % (4 * HOUR))))?.lastMinute, last, `the newest minute is known after ${what}`)
  }
  // Volumes whose float sum is inexact (0.1 + 0.2): the hour must hold the exact decimal sum.
  const minute = (ts: number, volume: number) => ({ ...minuteCandle('BTCUSDT', ts), volume })
  await store.upsertBatch([minute(end, 0.1)])
  await expectHours('BTCUSDT', 'a minute that opens a new hour')
  await store.upsertBatch([minute(end + MIN, 0.2)])
  await expectHours('BTCUSDT', 'a minute inside the newest hour')
  t.same((await store.getCandles({ symbol: 'BTCUSDT', interval: '1h', from: end, to: end, limit: 1 }))[0]![5], 0.3, 'volumes add as decimals')
  await store.upsertBatch(minuteCandles('BTCUSDT', end + 2 * MIN, end + 150 * MIN))
  await expectHours('BTCUSDT', 'a batch that finishes one hour and opens two more')
  await store.upsertBatch(minuteCandles('BTCUSDT', end + 4 * HOUR, end + 4 * HOUR + 10 * MIN))
  await expectHours('BTCUSDT', 'a batch after a hole')
  await store.upsertBatch([minuteCandle('ETHUSDT', end + 7 * MIN)])
  await store.upsertBatch(minuteCandles('ETHUSDT', end + 8 * MIN, end + 70 * MIN))
  await expectHours('ETHUSDT', 'the first minutes of a new symbol')
  await store.upsertBatch([minute(end + 30 * MIN, 5)])
  await expectHours('BTCUSDT', 'a replaced minute inside the stored range')
})

t.test('a reopened store knows every series range without scanning, also after deletes', async (t) => {
  const path = join(tempDir(t), 'ranges.duckdb')
  const first = await DuckDbCandleStore.open({ path })
  // 1m starting mid-hour (the exact first minute is found inside the first hour), and native 1h and 1d series.
  await first.upsertBatch(minuteCandles('BTCUSDT', T0 + 17 * MIN, T0 + DAY + 5 * MIN))
  const native = (interval: '1h' | '1d', step: number, n: number, from: number) =>
    Array.from({ length: n }, (_, i) => ({ ...minuteCandle('ETHUSDT', from + i * step), interval, ts: from + i * step }))
  await first.upsertBatch(native('1h', HOUR, 30, T0))
  await first.upsertBatch(native('1h', HOUR, 5, T0 - 5 * HOUR))
  await first.upsertBatch(native('1d', DAY, 3, T0))
  await first.deleteRange('ETHUSDT', '1d', T0 + 2 * DAY, T0 + 2 * DAY)
  const ranges = (store: DuckDbCandleStore) => ({
    btc1m: store.storedRange('BTCUSDT', '1m'),
    eth1h: store.storedRange('ETHUSDT', '1h'),
    eth1d: store.storedRange('ETHUSDT', '1d')
  })
  const expected = {
    btc1m: { first: T0 + 17 * MIN, last: T0 + DAY + 4 * MIN },
    eth1h: { first: T0 - 5 * HOUR, last: T0 + 29 * HOUR },
    eth1d: { first: T0, last: T0 + DAY }
  }
  t.same(ranges(first), expected, 'ranges as written')
  await first.close()
  const second = await DuckDbCandleStore.open({ path })
  t.teardown(() => second.close())
  t.same(ranges(second), expected, 'the same ranges after a restart')
  await second.deleteRange('ETHUSDT', '1d', 0, T0 + 3 * DAY)
  t.equal(second.storedRange('ETHUSDT', '1d'), undefined, 'a series deleted whole is gone')
})

t.test('a database written before the roll-up table gets it built by the migration', async (t) => {
  const path = join(tempDir(t), 'old.duckdb')
  const db = await openDatabase(path)
  const con = await db.connect()
  await migrate(con, loadMigrations().filter((m) => m.version === 1))
  for (const c of minuteCandles('ETHUSDT', T0, T0 + 9 * HOUR)) {
    await con.run('INSERT INTO candles VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [c.symbol, c.interval, c.ts, c.open, c.high, c.low, c.close, c.volume])
  }
  con.closeSync()
  db.release()
  const store = await DuckDbCandleStore.open({ path })
  t.teardown(() => store.close())
  const rows = minuteCandles('ETHUSDT', T0, T0 + 9 * HOUR).map((c): CandleTuple => [c.ts, c.open, c.high, c.low, c.close, c.volume])
  t.same(await store.getCandles({ symbol: 'ETHUSDT', interval: '4h', from: 0, limit: 100 }), rollUp(rows, (ts) => ts - (ts % (4 * HOUR))))
})
