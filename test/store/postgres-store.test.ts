// What the PostgreSQL store does beyond the shared contract: its migrations, its reads being
// range scans of the primary key, cancelling an abandoned query, and pointing backups at pg_dump.
import t from 'tap'
import pg from 'pg'
import { DAY_MS } from '../../src/domain/intervals.js'
import { minuteCandles } from '../../src/exchange/simulator/price-model.js'
import { connectClient, createPool } from '../../src/store/postgres/connection.js'
import { migratePostgres, postgresMigrationsDir } from '../../src/store/postgres/migrations.js'
import { POSTGRES_BACKUP_NOTICE, openPostgresStore } from '../../src/store/postgres/postgres-candle-store.js'
import { cancellable } from '../../src/store/postgres/query-cancel.js'
import { nativeSql, rollupSql } from '../../src/store/postgres/read-sql.js'
import { loadMigrations } from '../../src/store/migrations.js'
import { T0 } from '../helpers.js'
import { postgresDatabase, postgresSkip } from '../services/postgres.js'

const skip = postgresSkip()

t.test('migrations run once each, in order, and a failing one leaves nothing behind', { skip }, async (t) => {
  const url = await postgresDatabase(t)
  const client = await connectClient({ url })
  t.teardown(() => client.end())
  const all = loadMigrations(postgresMigrationsDir())
  t.same(all.map((m) => m.version), [1, 2, 3, 4])
  t.same(await migratePostgres(client), [1, 2, 3, 4])
  t.same(await migratePostgres(client), [], 'a second start changes nothing')
  const broken = [...all, { version: 5, name: 'broken', sql: 'CREATE TABLE half_done (x integer); SELECT no_such_column FROM candles' }]
  await t.rejects(migratePostgres(client, broken), /migration 5 \(broken\) failed: column "no_such_column" does not exist/)
  const { rows } = await client.query("SELECT to_regclass('half_done') AS t, (SELECT max(version) FROM schema_migrations) AS v")
  t.same(rows, [{ t: null, v: 4 }], 'rolled back whole, not recorded')
  // The decimal conversion the roll-ups rely on, at its edges: beyond 2^63 it is done in pieces, and
  // (1e17 + 12345) * 1e8 is the double 10000000000001235709067264, taken exactly as DuckDB does.
  const { rows: dec } = await client.query('SELECT volume_decimal(0.1)::text AS a, volume_decimal(5e-9)::text AS b, volume_decimal(1e17 + 12345)::text AS c, volume_decimal(0)::text AS d')
  t.same(dec, [{ a: '0.10000000', b: '0.00000001', c: '100000000000012357.09067264', d: '0.00000000' }])
})

t.test('window reads and roll-ups are range scans of the primary key', { skip }, async (t) => {
  const url = await postgresDatabase(t)
  const store = await openPostgresStore({ url })
  t.teardown(() => store.close())
  for (const symbol of ['BTCUSDT', 'ETHUSDT', 'BNBUSDT']) await store.upsertBatch(minuteCandles(symbol, T0, T0 + 5 * DAY_MS))
  const pool = createPool({ url, poolSize: 1 })
  t.teardown(() => pool.end())
  await pool.query('ANALYZE')
  const plan = async (sql: string, params: unknown[]) => JSON.stringify((await pool.query(`EXPLAIN (FORMAT JSON) ${sql}`, params)).rows)
  const native = await plan(nativeSql('desc'), ['BTCUSDT', '1m', T0 + DAY_MS, T0 + DAY_MS + 599 * 60_000, 600])
  t.match(native, /"Index Name":"candles_pkey"/)
  t.notMatch(native, /Seq Scan/)
  const hours = await plan(rollupSql({ kind: 'fixed', width: DAY_MS, origin: 0 }, '1h', 'asc'), ['BTCUSDT', '1h', T0, T0 + 3 * DAY_MS - 1, 600, 0, DAY_MS])
  t.match(hours, /"Index Name":"candle_rollups_pkey"/)
  t.notMatch(hours, /Seq Scan/)
})

t.test('an abandoned query is cancelled on the server and its connection stays usable', { skip }, async (t) => {
  const pool = new pg.Pool({ connectionString: await postgresDatabase(t), max: 2 })
  t.teardown(() => pool.end())
  const client = await pool.connect()
  const controller = new AbortController()
  const started = performance.now()
  setTimeout(() => controller.abort(new Error('client left')), 100)
  await t.rejects(cancellable(pool, client, controller.signal, () => client.query('SELECT pg_sleep(20)')), /client left/)
  t.ok(performance.now() - started < 10_000, 'it did not run to its end')
  t.same((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }])
  client.release()
  const gone = new AbortController()
  gone.abort(new Error('already gone'))
  const other = await pool.connect()
  await t.rejects(cancellable(pool, other, gone.signal, () => other.query('SELECT 1')), /already gone/)
  other.release()
})

t.test('backup points at pg_dump; the store reports its engine and a URL without the password', { skip }, async (t) => {
  const url = new URL(await postgresDatabase(t))
  url.password = 'secret'
  const store = await openPostgresStore({ url: url.toString() })
  t.teardown(() => store.close())
  await t.rejects(store.backup('/tmp/anywhere'), { message: POSTGRES_BACKUP_NOTICE })
  t.match(POSTGRES_BACKUP_NOTICE, /pg_dump --format=custom/)
  t.match(store.engineVersion, /^PostgreSQL 1[5-9]/)
  t.notMatch(store.path, /secret/)
})

t.test('an unreachable server fails the open with the driver\'s error, leaving nothing running', { skip }, async (t) => {
  await t.rejects(openPostgresStore({ url: 'postgres://nobody@127.0.0.1:1/none', connectTimeoutMs: 2000 }), /ECONNREFUSED|connect/)
})
