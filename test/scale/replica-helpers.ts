// Real service processes in the split deployment (one ingest, several api replicas on one
// PostgreSQL and one Redis), and a /ws viewer that keeps what a chart would: every final it got,
// on every connection it made, so a test can check the series it ends with.
import { spawn } from 'node:child_process'
import WebSocket from 'ws'
import { settingFor } from '../../src/settings/schema.js'
import type { Teardown } from '../helpers.js'
import { waitFor } from '../ingest/ingest-helpers.js'
import { Client, type Msg } from '../routes/ws-helpers.js'
import { whenOpen } from '../simulator-helpers.js'
import { redisServerBin, REDIS_INSTALL } from '../services/redis.js'

export const MIN = 60_000

/** How long a process may take to start, or a condition to come true, on two loaded cores. */
export const WAIT_MS = 60_000

/**
 * The test restarts its Redis, so it needs a redis-server of its own even when the suite shares
 * one (TEST_REDIS_URL): without the binary it is skipped.
 */
export function ownRedisSkip (): string | false {
  return redisServerBin() === undefined ? `no redis-server found: install it with \`${REDIS_INSTALL}\`` : false
}

export interface RoleProcess {
  base: string
  ws: string
  pid: number
  /** Resolves with the exit code, or the signal that ended it. */
  exited: Promise<number | NodeJS.Signals | null>
  output: () => string
  kill: (signal: NodeJS.Signals) => void
}

/** The environment without any of the service's settings, so only the test's flags count. */
function cleanEnv (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (settingFor(k) === undefined) env[k] = v
  return env
}

/** src/server.ts in a child process with these flags; stopped (SIGTERM, then SIGKILL) at teardown. */
export async function startRole (t: Teardown, args: string[]): Promise<RoleProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() })
  let out = ''
  child.stdout.on('data', (d) => { out = (out + String(d)).slice(-200_000) })
  child.stderr.on('data', (d) => { out = (out + String(d)).slice(-200_000) })
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)))
  const running = () => child.exitCode === null && child.signalCode === null
  // A test process that ends without its teardowns (a bail, a timeout) takes the child with it.
  const onExit = () => { child.kill('SIGKILL') }
  process.once('exit', onExit)
  void exited.then(() => process.removeListener('exit', onExit))
  t.teardown(async () => {
    if (!running()) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(timer)
  })
  const listening = /listening at http:\/\/127\.0\.0\.1:(\d+)/
  await Promise.race([
    waitFor(() => listening.test(out), WAIT_MS, `the process (${args.join(' ')}) to listen`),
    exited.then((how) => { throw new Error(`the process exited (${String(how)}) while starting:\n${out}`) })
  ])
  const port = listening.exec(out)![1]!
  return {
    base: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}/ws`,
    pid: child.pid!,
    exited,
    output: () => out,
    kill: (signal) => { child.kill(signal) }
  }
}

/** /readyz as `200`, or `503: <reason>`, or `down` when the process does not answer. */
export async function readiness (base: string): Promise<string> {
  try {
    const res = await fetch(`${base}/readyz`)
    const body = await res.json() as { reason?: string }
    return res.status === 200 ? '200' : `${res.status}: ${body.reason ?? ''}`
  } catch {
    return 'down'
  }
}

export async function getJson (url: string): Promise<any> {
  const res = await fetch(url)
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`)
  return await res.json()
}

/** The stored 1m candles of a symbol from..to (inclusive), as REST serves them. */
export async function restCandles (base: string, symbol: string, from: number, to: number): Promise<number[][]> {
  const body = await getJson(`${base}/api/v1/candles?symbol=${symbol}&interval=1m&from=${from}&to=${to}&limit=1000`)
  return body.data as number[][]
}

/** Open time of the newest closed 1m candle the ingest process has had from the exchange. */
export async function ingestLastClosed (base: string, symbol: string): Promise<number | undefined> {
  const health = await getJson(`${base}/healthz`).catch(() => undefined)
  return health?.live?.symbols?.[symbol]?.last_closed_ts ?? undefined
}

/** One chart's connection history: one /ws connection after another, each subscribed to one 1m topic. */
export class Viewer {
  readonly connections: Client[] = []

  constructor (readonly symbol: string) {}

  get current (): Client {
    return this.connections.at(-1)!
  }

  /** Opens a connection to `url` and subscribes, with a snapshot of the newest `snapshot` candles when asked. */
  async connect (t: Teardown, url: string, snapshot?: number): Promise<Client> {
    // Client.open's own waits are short; on two loaded cores, with fifty sockets opening at once,
    // the welcome and the subscription get the test's wait instead.
    const ws = new WebSocket(url)
    const client = Client.wrap(ws)
    await whenOpen(t, ws)
    this.connections.push(client)
    await waitFor(() => client.count('welcome') > 0, WAIT_MS, 'the welcome')
    client.send({ event: 'subscribe', symbol: this.symbol, interval: '1m', ...(snapshot === undefined ? {} : { snapshot }) })
    await waitFor(() => client.count('subscribed') > 0 && (snapshot === undefined || client.count('snapshot') > 0), WAIT_MS, 'the subscription')
    return client
  }

  /** The 1m finals one connection received, in arrival order. */
  static finalsOf (client: Client, symbol: string): number[][] {
    return client.candles(symbol, '1m').filter((m: Msg) => m.final === true).map((m) => m.data as number[])
  }

  /** Every final of every connection, in arrival order. */
  finals (): number[][] {
    return this.connections.flatMap((c) => Viewer.finalsOf(c, this.symbol))
  }

  lastFinalTs (): number | undefined {
    return this.finals().at(-1)?.[0]
  }

  /** How many resync_done messages naming the symbol one connection received. */
  resyncsOn (client: Client): number {
    return client.messages.filter((m) => m.type === 'resync_done' && (m.symbols as string[]).includes(this.symbol)).length
  }
}

/** What keeps these open times from being one unbroken 1m series, oldest first: empty when nothing does. */
export function seriesFaults (ts: number[]): string[] {
  const faults: string[] = []
  for (let i = 1; i < ts.length; i++) {
    const step = ts[i]! - ts[i - 1]!
    if (step === MIN) continue
    const at = new Date(ts[i]!).toISOString()
    faults.push(step <= 0 ? `${at} after ${new Date(ts[i - 1]!).toISOString()} (out of order or repeated)` : `${(step / MIN) - 1} missing before ${at}`)
  }
  return faults
}
