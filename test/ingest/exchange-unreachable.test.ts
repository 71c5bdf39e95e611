// Binance out of reach (no route, DNS, firewall): the user is told which host, which error, that
// stored data is still served and how to try the service offline, once and then at a calm rate;
// /healthz names the problem from the first failure without failing before the documented 2 minutes.
import { createServer } from 'node:net'
import { Writable } from 'node:stream'
import t from 'tap'
import { ExchangeReach } from '../../src/ingest/exchange-reach.js'
import type { Log } from '../../src/log.js'
import { json, testApp } from '../helpers.js'
import { waitFor } from './ingest-helpers.js'

interface LogLine { level: number, msg: string, [field: string]: unknown }

function memoryLog (lines: Array<{ level: string, obj: unknown, msg?: string }>): Log {
  const log = {} as Log
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) {
    log[level] = (obj: unknown, msg?: string) => { lines.push({ level, obj, msg }) }
  }
  log.child = () => log
  return log
}

/** A loopback port nothing listens on: connecting to it is refused at once. */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

t.test('the reach monitor warns once, repeats at a calm rate, and reports never_connected until the host answers', async (t) => {
  const lines: Array<{ level: string, obj: unknown, msg?: string }> = []
  let now = 1_000_000
  const reach = new ExchangeReach({ log: memoryLog(lines), repeatMs: 60_000, now: () => now })
  t.same(reach.issues(), [], 'nothing to report before any attempt')

  reach.unreachable('api.binance.com', 'ENOTFOUND')
  t.equal(lines.length, 1, 'the first failure is told at once')
  t.equal(lines[0]!.level, 'warn')
  t.match(lines[0]!.msg, /cannot reach the exchange at api\.binance\.com \(ENOTFOUND\)/)
  t.match(lines[0]!.msg, /serving the candles already stored/)
  t.match(lines[0]!.msg, /npm run demo/)
  t.match(lines[0]!.obj, { host: 'api.binance.com', error: 'ENOTFOUND' })

  for (let i = 0; i < 20; i++) {
    now += 2000
    reach.unreachable('api.binance.com', 'ENOTFOUND')
  }
  t.equal(lines.length, 1, '40 s of retries add no line')
  now += 20_000
  reach.unreachable('api.binance.com', 'ETIMEDOUT')
  t.equal(lines.length, 2, 'a reminder after a minute')
  t.match(lines[1]!.msg, /still cannot reach the exchange at api\.binance\.com \(ETIMEDOUT\) after 22 failed attempts over 60 s/)
  t.match(lines[1]!.msg, /npm run demo/)
  t.same(reach.issues(), [{ issue: 'never_connected', host: 'api.binance.com', last_error: 'ETIMEDOUT', failed_attempts: 22, duration_seconds: 60 }])

  reach.unreachable('stream.binance.com:9443', 'getaddrinfo ENOTFOUND stream.binance.com')
  t.equal(lines.length, 3, 'each host is told about on its own')
  t.same(reach.issues().map((i) => i.host), ['api.binance.com', 'stream.binance.com:9443'])

  reach.reached('api.binance.com')
  t.match(lines[3], { level: 'info', msg: 'reached the exchange at api.binance.com after 22 failed attempts' })
  t.same(reach.issues().map((i) => i.host), ['stream.binance.com:9443'], 'a host that answered is no longer never_connected')
  reach.unreachable('api.binance.com', 'ECONNRESET')
  t.match(lines[4], { level: 'warn', msg: /cannot reach the exchange at api\.binance\.com \(ECONNRESET\)/ }, 'a later outage is told again')
  t.same(reach.issues().map((i) => i.host), ['stream.binance.com:9443'], 'but it did connect once')
})

t.test('the service with the exchange on closed ports: told in the log, never_connected in /healthz, still serving', async (t) => {
  const restPort = await closedPort()
  const wsPort = await closedPort()
  const logs: LogLine[] = []
  const stream = new Writable({
    write (chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') logs.push(JSON.parse(line) as LogLine)
      done()
    }
  })
  const app = await testApp(t, {
    LIVE: true,
    BINANCE_REST_URL: `http://127.0.0.1:${restPort}`,
    BINANCE_WS_URL: `ws://127.0.0.1:${wsPort}`
  }, {
    logger: { level: 'info', stream },
    ingest: {
      binance: { backoffMinMs: 20, backoffMaxMs: 100, rest: { backoffBaseMs: 20, backoffMaxMs: 100 } },
      // One warning per host for the whole test: the calm repeat is the unit test's business.
      ingestor: { unreachableLogMs: 3_600_000 }
    }
  })
  const rest = `127.0.0.1:${restPort}`
  const ws = `127.0.0.1:${wsPort}`

  await waitFor(async () => (json(await app.inject('/healthz')).details ?? []).some((d: { host?: string }) => d.host === rest), 30_000, 'never_connected for the REST host')
  const first = await app.inject('/healthz')
  t.equal(first.statusCode, 200, 'the container healthcheck keeps passing: nothing has been down for 2 minutes')
  t.equal(json(first).status, 'ok')
  t.match(json(first).details, [{ issue: 'never_connected', host: rest, last_error: /ECONNREFUSED/ }])
  t.equal((await app.inject('/api/v1/symbols')).statusCode, 200, 'the API serves meanwhile')

  // exchangeInfo gives up after its retries, then the stream is tried (and refused) too.
  await waitFor(async () => (json(await app.inject('/healthz')).details ?? []).some((d: { host?: string }) => d.host === ws), 30_000, 'never_connected for the stream host')
  await waitFor(() => logs.filter((l) => /^exchange stream to /.test(l.msg)).length >= 2, 30_000, 'two stream reconnect lines')
  const health = await app.inject('/healthz')
  t.equal(health.statusCode, 200)
  t.match(json(health).details, [
    { issue: 'never_connected', host: rest, last_error: /ECONNREFUSED/ },
    { issue: 'never_connected', host: ws, last_error: /ECONNREFUSED/ }
  ])

  const told = logs.filter((l) => /^cannot reach the exchange at /.test(l.msg))
  t.same(told.map((l) => l.host), [rest, ws], 'one warning per host, however many attempts failed')
  for (const l of told) {
    t.match(l.msg, /ECONNREFUSED/, 'it names the error')
    t.match(l.msg, /candles already stored/, 'it says stored data is still served')
    t.match(l.msg, /npm run demo/, 'it points at the offline demo')
  }
  const retries = logs.filter((l) => /^Binance request to /.test(l.msg))
  t.ok(retries.length >= 1, 'exchangeInfo was retried')
  t.ok(retries.every((l) => l.msg.includes(rest) && l.host === rest && /ECONNREFUSED/.test(String(l.detail))), 'each retry line names the host and the error')
  const reconnects = logs.filter((l) => /^exchange stream to /.test(l.msg))
  t.ok(reconnects.every((l) => l.msg.includes(ws) && /ECONNREFUSED/.test(String(l.reason))), 'each reconnect line names the host and the reason')
  const gaveUp = logs.find((l) => /exchange info unavailable/.test(l.msg))
  // Errors are logged whole (pino's err serializer: type, message, stack).
  t.match(gaveUp, { err: { message: new RegExp(`exchangeInfo: gave up after \\d+ attempts \\(${rest}: ECONNREFUSED\\)`), stack: /ExchangeUnavailableError|Error/ } })
})

t.test('never_connected stays in the details when the stream has been down too long and /healthz fails', async (t) => {
  const port = await closedPort()
  const app = await testApp(t, {
    LIVE: true,
    BINANCE_REST_URL: `http://127.0.0.1:${port}`,
    BINANCE_WS_URL: `ws://127.0.0.1:${port}`
  }, {
    ingest: {
      binance: { backoffMinMs: 20, backoffMaxMs: 100, rest: { backoffBaseMs: 20, backoffMaxMs: 100 } },
      ingestor: { downAlertMs: 200 }
    }
  })
  await waitFor(async () => (await app.inject('/healthz')).statusCode === 503, 30_000, '/healthz to fail with ws_down')
  const body = json(await app.inject('/healthz'))
  t.equal(body.status, 'error')
  t.match(body.details, [{ issue: 'ws_down' }, { issue: 'never_connected', host: `127.0.0.1:${port}`, last_error: /ECONNREFUSED/ }])
})
