// The throwaway test servers themselves: each caller gets its own database, and both servers answer.
import t from 'tap'
import pg from 'pg'
import { postgresDatabase, postgresSkip } from './postgres.js'
import { redisAnswers, redisService, redisSkip } from './redis.js'

t.test('PostgreSQL: a database per caller, each empty and writable', { skip: postgresSkip() }, async (t) => {
  const [a, b] = await Promise.all([postgresDatabase(t), postgresDatabase(t)])
  t.not(a, b, 'two callers get two databases')
  const clients = [new pg.Client({ connectionString: a }), new pg.Client({ connectionString: b })]
  for (const c of clients) {
    await c.connect()
    t.teardown(() => c.end())
  }
  await clients[0]!.query('CREATE TABLE only_here (x INT)')
  await clients[0]!.query('INSERT INTO only_here VALUES (1)')
  t.same((await clients[0]!.query('SELECT x FROM only_here')).rows, [{ x: 1 }])
  const other = await clients[1]!.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_here'")
  t.same(other.rows, [{ n: 0 }], 'a table made in one database is not in the other')
  const version = await clients[0]!.query("SELECT current_setting('server_version_num')::int AS v")
  t.ok(version.rows[0].v >= 150000, `PostgreSQL 15 or later (${version.rows[0].v})`)
})

t.test('Redis: the server answers PING, and each caller gets its own prefix', { skip: redisSkip() }, async (t) => {
  const [a, b] = await Promise.all([redisService(), redisService()])
  t.not(a.prefix, b.prefix)
  const url = new URL(a.url)
  t.ok(await redisAnswers(url.hostname, Number(url.port)), `PONG from ${a.url}`)
})
