// The split deployment with real processes: one ROLE=ingest process (the built-in simulator as its
// exchange) and one ROLE=api process on the same PostgreSQL database and Redis. The api process
// serves /ws from the bus and REST from the shared store, and never contacts an exchange.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import t from 'tap'
import WebSocket from 'ws'
import type { Teardown } from './helpers.js'
import { waitFor } from './ingest/ingest-helpers.js'
import { Client, restCandle, type Msg } from './routes/ws-helpers.js'
import { postgresDatabase, postgresSkip } from './services/postgres.js'
import { redisService, redisSkip } from './services/redis.js'

t.setTimeout(300_000)

const WAIT_MS = 90_000

interface RoleProcess {
  base: string
  output: () => string
}

/** The service in a child process with these flags; stopped (SIGTERM, then SIGKILL) at teardown. */
async function startRole (t: Teardown, args: string[]): Promise<RoleProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d) => { out += String(d) })
  child.stderr!.on('data', (d) => { out += String(d) })
  const exited = once(child, 'exit')
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(timer)
  })
  await Promise.race([
    waitFor(() => /listening at http:\/\/127\.0\.0\.1:\d+/.test(out), WAIT_MS, 'the process to listen'),
    exited.then(() => { throw new Error(`the process exited: ${out}`) })
  ])
  return { base: `http://127.0.0.1:${/listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]}`, output: () => out }
}

/** A loopback port that counts every connection made to it and hangs up. */
async function exchangeTrap (t: Teardown): Promise<{ port: number, contacts: () => number }> {
  let contacts = 0
  const server = createServer((socket) => {
    contacts++
    socket.destroy()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return { port: (server.address() as AddressInfo).port, contacts: () => contacts }
}

const getJson = async (url: string) => await (await fetch(url)).json() as Record<string, any>

t.test('ROLE=ingest + ROLE=api on one PostgreSQL and Redis: /ws on the api process gets finals equal to REST', { skip: postgresSkip() || redisSkip() }, async (t) => {
  const database = await postgresDatabase(t)
  const { url: redisUrl, prefix } = await redisService()
  const trap = await exchangeTrap(t)
  const shared = [
    '--storage', 'postgres', '--database-url', database, '--bus', 'redis', '--redis-url', redisUrl, '--redis-prefix', prefix,
    '--host', '127.0.0.1', '--port', '0', '--log-level', 'info', '--live-symbols', 'BTCUSDT', '--live-lookback', '2h'
  ]
  const ingest = await startRole(t, [...shared, '--role', 'ingest', '--exchange', 'simulator', '--simulator-speed', '60'])
  // Pointed at the trap: any attempt to reach an exchange would be counted.
  const api = await startRole(t, [
    ...shared, '--role', 'api', '--live', '1', '--exchange', 'binance',
    '--binance-rest-url', `http://127.0.0.1:${trap.port}`, '--binance-ws-url', `ws://127.0.0.1:${trap.port}`
  ])
  await waitFor(async () => (await fetch(`${api.base}/readyz`)).status === 200, WAIT_MS, 'the api process to be ready (its bus connected)')
  t.equal((await fetch(`${ingest.base}/api/v1/symbols`)).status, 404, 'the ingest process serves no client API')

  const client = await Client.open(t, `${api.base.replace('http', 'ws')}/ws`)
  await client.subscribe('BTCUSDT', '1m')
  const finals = (): Msg[] => client.candles('BTCUSDT', '1m').filter((m) => m.final === true)
  await waitFor(() => finals().length >= 3, WAIT_MS, 'three finals over the bus')
  // The ingest process publishes each write's notice before the final it stored, on the same
  // channel: by the time a final arrives, the api process's index and cache know of its write.
  for (const m of finals().slice(0, 3)) {
    t.same(await restCandle(api.base, 'BTCUSDT', '1m', m.data[0]), m.data, `the final at ${new Date(m.data[0]).toISOString()} equals REST on the api process`)
  }
  const latestTs = async () => (await getJson(`${api.base}/api/v1/candles?symbol=BTCUSDT&interval=1m`)).data.at(-1)[0] as number
  const seen = finals().length
  const before = await latestTs()
  await waitFor(() => finals().length > seen, WAIT_MS, 'one more final')
  const next = finals()[seen]!.data[0] as number
  t.ok(before < next, 'the latest body, now cached, ends before the next final')
  t.ok(await latestTs() >= next, 'the next final\'s notice dropped it: the latest body reaches that final')
  const ts = finals().map((m) => m.data[0] as number)
  t.same(ts, [...ts].sort((x, y) => x - y), 'finals arrive in order')
  t.equal(new Set(ts).size, ts.length, 'each once')

  const health = await getJson(`${api.base}/healthz`)
  t.equal(health.role, 'api')
  t.equal(health.live.enabled, false, 'the api process ingests nothing')
  const stats = await getJson(`${api.base}/stats`)
  t.match(stats.bus, { kind: 'redis', connected: true })
  t.ok(stats.bus.received_total > 0, 'the api process received over the bus')
  t.match((await getJson(`${ingest.base}/stats`)), { role: 'ingest', bus: { kind: 'redis', connected: true } })
  t.equal(trap.contacts(), 0, 'the api process never contacted the exchange')
  t.notMatch(api.output(), /EXCHANGE=simulator|catch-up|exchange/i, 'nor logged anything about one')
  client.ws.close()
  await once(client.ws as WebSocket, 'close')
})
