import { spawn } from 'node:child_process'
import t from 'tap'
import { waitFor } from './ingest/ingest-helpers.js'

// Builds the service (npm ci and tsc, or the compile before start): on a loaded machine that alone
// can take longer than the suite's per-file timeout.
t.setTimeout(900_000)

t.test('npm run demo serves BTCUSDT and ETHUSDT offline within seconds, and candles keep closing', async (t) => {
  // The simulator clock runs 60x here so that "a new candle every minute" shows in seconds.
  const child = spawn('npm', ['run', 'demo', '--', '--host', '127.0.0.1', '--port', '0', '--simulator-speed', '60', '--log-level', 'info'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true
  })
  const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(`${code}/${signal}`)))
  t.teardown(() => { try { process.kill(-child.pid!, 'SIGKILL') } catch {} })
  let out = ''
  child.stdout.on('data', (d) => { out += String(d) })
  child.stderr.on('data', (d) => { out += String(d) })
  await waitFor(() => /listening at http:\/\/127\.0\.0\.1:\d+/.test(out), 400_000, 'the demo to listen')
  const base = `http://127.0.0.1:${/listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]}`
  const listenedAt = Date.now()
  const latest = async (symbol: string) => {
    const res = await fetch(`${base}/api/v1/candles?symbol=${symbol}&interval=1m&limit=600`)
    return (await res.json() as { data: number[][] }).data
  }
  await waitFor(async () => (await latest('BTCUSDT')).length === 600 && (await latest('ETHUSDT')).length === 600, 60_000, 'caught-up candles')
  // How soon depends on the machine's load; the figure is reported, not asserted.
  t.comment(`candles served ${Date.now() - listenedAt} ms after start`)
  await waitFor(() => out.includes(`chart at ${base}/`), 10_000, 'the chart\'s address')
  const chart = await fetch(`${base}/`)
  t.equal(chart.status, 200, 'the printed chart address serves the page')
  t.match(chart.headers.get('content-type'), /^text\/html/)
  const symbols = await (await fetch(`${base}/api/v1/symbols`)).json() as { symbols: Array<{ symbol: string, status: string }> }
  t.same(symbols.symbols.map((s) => [s.symbol, s.status]), [['BTCUSDT', 'active'], ['ETHUSDT', 'active']])
  const first = (await latest('BTCUSDT')).at(-1)![0]!
  // At 60x, two simulated minutes are two seconds when the machine keeps up: wait for them to close.
  let later = first
  await waitFor(async () => (later = (await latest('BTCUSDT')).at(-1)![0]!) >= first + 2 * 60_000, 60_000, 'two more closed candles')
  t.ok(later >= first + 2 * 60_000, `new closed candles appeared (${(later - first) / 60_000} minutes later)`)
  const health = await (await fetch(`${base}/healthz`)).json() as { status: string, live: { ws_state: number } }
  t.equal(health.status, 'ok')
  t.equal(health.live.ws_state, 1)
  // Stop the service itself (its pid is in every log line); npm then exits with its code.
  process.kill(Number(/"pid":(\d+)/.exec(out)![1]), 'SIGTERM')
  t.equal(await exited, '0/null', 'the service stops cleanly on SIGTERM')
  t.match(out, /shutting down/)
})
