// A candle query nobody waits for any more is stopped: interrupted inside DuckDB when its deadline
// (HTTP_QUERY_TIMEOUT_MS, answered 503 query_timeout) passes or its client disconnects, and never
// started when that happened while it queued for a reader.
import { once } from 'node:events'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DuckDBInstance } from '@duckdb/node-api'
import t from 'tap'
import { ClientGoneError } from '../../../plugins/app/client-gone.js'
import { interruptible } from '../../../src/store/duckdb/query-interrupt.js'
import { json, seededStore, stalledStore, testApp } from '../../helpers.js'

// Ten trillion rows: hours of work on any machine, so only an interrupt ends it.
const ENDLESS_SQL = 'SELECT sum(hash(range)) FROM range(10000000000000)'

t.test('interruptible stops a running DuckDB query, however early the abort comes', async (t) => {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' })
  const con = await db.connect()
  t.teardown(() => {
    con.closeSync()
    db.closeSync()
  })
  for (let round = 0; round < 5; round++) {
    const controller = new AbortController()
    const reason = new Error(`stop ${round}`)
    const running = interruptible(con, controller.signal, () => con.run(ENDLESS_SQL))
    // Aborted before DuckDB has even begun executing: an interrupt that early is dropped by
    // DuckDB, so this only ends because the interrupt is repeated until the query stops.
    controller.abort(reason)
    await t.rejects(running, reason, `round ${round}: rejects with the abort reason`)
  }
  const after = await con.runAndReadAll('SELECT 42')
  t.same(after.getRows(), [[42]], 'the connection answers the next query')

  const late = new AbortController()
  const query = interruptible(con, late.signal, () => con.run(ENDLESS_SQL))
  // A later abort, most likely while the scan runs; whenever it lands, the query must end.
  setTimeout(() => late.abort(new Error('late')), 20)
  await t.rejects(query, { message: 'late' })
})

t.test('a read whose signal aborted before it starts never runs', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 1)
  const reason = new Error('gone')
  await t.rejects(store.getCandles({ symbol: 'BTCUSDT', interval: '1h', limit: 5 }, AbortSignal.abort(reason)), reason)
  t.equal((await store.getCandles({ symbol: 'BTCUSDT', interval: '1h', limit: 5 })).length, 5, 'later reads are served')
})

t.test('a read past HTTP_QUERY_TIMEOUT_MS is stopped and answered 503 query_timeout', async (t) => {
  const { store, started } = await stalledStore(t)
  const app = await testApp(t, { HTTP_QUERY_TIMEOUT_MS: 1 }, { store })
  const res = await app.inject('/api/v1/candles?symbol=BTCUSDT&interval=1m&from=2024-01-01')
  t.equal(res.statusCode, 503)
  t.equal(json(res).error, 'query_timeout')
  t.match(json(res).message, /longer than 1 ms \(HTTP_QUERY_TIMEOUT_MS\)/)
  t.equal(started.length, 1)
  t.equal(started[0]!.signal.aborted, true, 'the read was told to stop')
})

t.test('a read whose client disconnects is stopped', async (t) => {
  const { store, started, events } = await stalledStore(t)
  const app = await testApp(t, {}, { store })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const req = request({ host: '127.0.0.1', port, path: '/api/v1/candles?symbol=BTCUSDT&interval=1m&to=1704067200000' })
  req.on('error', () => {})
  const reading = once(events, 'started')
  req.end()
  await reading
  req.destroy()
  const { signal } = started[0]!
  if (!signal.aborted) await once(signal, 'abort')
  t.type(signal.reason, ClientGoneError, 'aborted because the client left')
  t.equal(started[0]!.query.to, 1704067200000)
})
