// The chart page at / : its files and content policy through inject(), then the page itself in
// headless Chromium against a live service ingesting from the simulator on a stepped clock.
import { mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import type { Page } from 'playwright-core'
import { browserSkip, launchBrowser } from '../browser.js'
import { json, seededStore, testApp } from '../helpers.js'
import { MIN, waitFor } from '../ingest/ingest-helpers.js'
import { startLiveService } from './ws-helpers.js'

type Bar = [number, number, number, number, number, number]

interface ChartState {
  symbol: string
  interval: string
  connection: string
  ready: boolean
  loadingOlder: boolean
  exhausted: boolean
  olderPages: number
  partials: number
  finals: number
  error: string
}

// The page's globals these tests read inside page.evaluate(): its read-only test hook
// (src/web/chart.js) and what the test records there. The test build has no DOM library.
declare const window: { tvChart: { bars (): Bar[], state (): ChartState }, connectionStates: string[] }

// A name Chromium resolves to the loopback test server: the page is reached as from another machine.
const HOST = 'chart.test'
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts')

t.test('GET / and its files: HTML, scripts and styles with the page\'s own content policy', async (t) => {
  const app = await testApp(t)
  const page = await app.inject({ url: '/', headers: { host: 'tv.example:8080' } })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.body, /<script type="module" src="\/chart\/chart\.js"><\/script>/)
  const csp = String(page.headers['content-security-policy'])
  t.match(csp, /default-src 'none'/)
  t.match(csp, /script-src 'self'(;|$)/, 'scripts only from the service')
  t.match(csp, /style-src 'self'(;|$)/, 'styles only from the service, no inline styles')
  t.match(csp, /connect-src 'self' ws:\/\/tv\.example:8080 wss:\/\/tv\.example:8080(;|$)/, 'fetches and the WebSocket only to this host')
  t.match(csp, /frame-ancestors 'none'/)
  t.equal(page.headers['x-content-type-options'], 'nosniff')

  const odd = await app.inject({ url: '/', headers: { host: 'evil.example; script-src *' } })
  t.match(odd.headers['content-security-policy'], /connect-src 'self';/, 'a malformed Host header is not copied into the policy')

  for (const [path, type] of [['/chart/chart.js', /^application\/javascript/], ['/chart/chart.css', /^text\/css/], ['/chart/lightweight-charts.mjs', /^application\/javascript/]] as const) {
    const res = await app.inject(path)
    t.equal(res.statusCode, 200, path)
    t.match(res.headers['content-type'], type, `${path} content type`)
    t.ok(res.headers.etag, `${path} carries an ETag`)
    const again = await app.inject({ url: path, headers: { 'if-none-match': String(res.headers.etag) } })
    t.equal(again.statusCode, 304, `${path} revalidates to 304`)
  }
  t.match((await app.inject('/chart/lightweight-charts.mjs')).body, /Lightweight Charts™ v5\.2\.1/)
  for (const path of ['/chart/index.html', '/chart/typings.d.ts', '/chart/../package.json', '/index.html', '/chart/']) {
    const res = await app.inject(path)
    t.equal(res.statusCode, 404, `${path} is not served`)
    t.equal(json(res).error, 'not_found')
  }
  const post = await app.inject({ method: 'POST', url: '/' })
  t.equal(post.statusCode, 405)

  const paths = Object.keys(json(await app.inject('/openapi.json')).paths)
  for (const p of ['/', '/chart/chart.js', '/chart/chart.css', '/chart/lightweight-charts.mjs']) t.ok(paths.includes(p), `OpenAPI lists ${p}`)
})

async function state (page: Page): Promise<ChartState> {
  return await page.evaluate(() => window.tvChart.state())
}

async function bars (page: Page): Promise<Bar[]> {
  return await page.evaluate(() => window.tvChart.bars())
}

/** Resolves once the page shows `symbol interval` live with its REST page drawn. */
async function shown (page: Page, symbol: string, interval: string): Promise<void> {
  await page.waitForFunction(([s, i]) => {
    const st = window.tvChart?.state()
    return st?.symbol === s && st.interval === i && st.ready && st.connection === 'live'
  }, [symbol, interval], { timeout: 60_000 })
}

t.test('the chart in Chromium: REST page, live final, older pages on scroll, switching topics', { skip: browserSkip() }, async (t) => {
  const s = await startLiveService(t, { LIVE_LOOKBACK: '1d' })
  const port = new URL(s.base).port
  const origin = `http://${HOST}:${port}`
  const rest = async (query: string): Promise<Bar[]> => json((await s.app.inject(`/api/v1/candles?${query}`))).data

  const browser = await launchBrowser(t, [`--host-resolver-rules=MAP ${HOST} 127.0.0.1`])
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } })
  const problems: string[] = []
  page.on('console', (msg) => { if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()}`) })
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  page.on('requestfailed', (req) => problems.push(`failed: ${req.url()} ${req.failure()?.errorText ?? ''}`))
  page.on('request', (req) => {
    if (!req.url().startsWith(`${origin}/`) && !req.url().startsWith(`ws://${HOST}:${port}/`) && !req.url().startsWith('data:')) problems.push(`outside request: ${req.url()}`)
  })
  const sockets: string[] = []
  page.on('websocket', (ws) => sockets.push(ws.url()))

  const res = await page.goto(`${origin}/`)
  t.equal(res?.status(), 200)
  await shown(page, 'BTCUSDT', '1m')
  t.same(await page.locator('#symbol option').allTextContents(), ['BTCUSDT', 'ETHUSDT'], 'symbol picker from /api/v1/symbols')
  const intervals = json(await s.app.inject('/api/v1/intervals?symbol=BTCUSDT')).intervals
  t.same(await page.locator('#interval option').allTextContents(), intervals, 'interval picker from /api/v1/intervals')
  t.equal(await page.locator('#connection').textContent(), 'live', 'the connection state is shown')
  t.same(sockets, [`ws://${HOST}:${port}/ws`], 'one WebSocket to the service\'s own /ws')

  // The manual clock stands still, so REST answers now what it answered the page.
  const latest = await rest('symbol=BTCUSDT&interval=1m&limit=600')
  t.equal(latest.length, 600)
  let drawn = await bars(page)
  t.same(drawn.slice(0, 600), latest, 'the chart holds the 600 candles REST returned')
  t.ok(drawn.length <= 601 && drawn.slice(600).every((b) => b[0] === latest.at(-1)![0] + MIN), 'at most the forming minute after them')

  // Close the forming minute: its final replaces the last bar with the stored candle.
  const closing = latest.at(-1)![0] + MIN
  const finalsBefore = (await state(page)).finals
  s.clock.advance(MIN)
  await page.waitForFunction(([ts, n]) => window.tvChart.state().finals > n && window.tvChart.bars().some((b) => b[0] === ts), [closing, finalsBefore] as const, { timeout: 30_000 })
  await waitFor(async () => (await rest(`symbol=BTCUSDT&interval=1m&from=${closing}&to=${closing}`)).length === 1, 10_000, 'the closed minute stored')
  const stored = (await rest(`symbol=BTCUSDT&interval=1m&from=${closing}&to=${closing}`))[0]
  drawn = await bars(page)
  t.same(drawn.find((b) => b[0] === closing), stored, 'the live final equals the stored candle')
  t.same(drawn.slice(0, 600), latest, 'the REST candles before it are unchanged')
  t.ok(drawn.every((b, i) => i === 0 || b[0] - drawn[i - 1]![0] === MIN), 'one bar per minute: no gap, no duplicate')

  // Drag the chart to the right (towards older candles) until the page asks for an older page.
  const box = (await page.locator('#chart').boundingBox())!
  const y = box.y + box.height / 2
  for (let i = 0; i < 20 && (await state(page)).olderPages === 0; i++) {
    await page.mouse.move(box.x + 100, y)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width - 200, y, { steps: 8 })
    await page.mouse.up()
  }
  await page.waitForFunction(() => window.tvChart.state().olderPages >= 1 && !window.tvChart.state().loadingOlder, undefined, { timeout: 30_000 })
  const older = await rest(`symbol=BTCUSDT&interval=1m&to=${latest[0]![0] - 1}&limit=600`)
  t.equal(older.length, 600)
  drawn = await bars(page)
  const at = drawn.findIndex((b) => b[0] === older[0]![0])
  t.same(drawn.slice(at, at + 1200), [...older, ...latest], 'the page REST returned for to = first ts - 1 is drawn before the first one')
  const upToClose = drawn.filter((b) => b[0] <= closing)
  t.same(upToClose, await rest(`symbol=BTCUSDT&interval=1m&to=${closing}&limit=${upToClose.length}`), 'every drawn candle equals REST')
  t.ok(drawn.every((b, i) => i === 0 || b[0] - drawn[i - 1]![0] === MIN), 'still one bar per minute across the pages')

  // The feed drops while minutes close: the page says so, reconnects and fills the missed minutes.
  await page.evaluate(`{
    const el = document.getElementById('connection')
    window.connectionStates = []
    new MutationObserver(() => window.connectionStates.push(el.dataset.state)).observe(el, { attributes: true, childList: true })
  }`)
  for (const client of s.app.websocketServer.clients) client.terminate()
  s.clock.advance(3 * MIN)
  await s.ingestor.idle()
  const newest = closing + 3 * MIN
  await waitFor(async () => (await rest(`symbol=BTCUSDT&interval=1m&from=${newest}&to=${newest}`)).length === 1, 10_000, 'the missed minutes stored')
  await page.waitForFunction((ts) => window.tvChart.state().connection === 'live' && window.tvChart.state().ready && window.tvChart.bars().some((b) => b[0] === ts), newest, { timeout: 60_000 })
  const states = await page.evaluate(() => window.connectionStates)
  t.ok(states.includes('reconnecting'), `the lost connection was shown (${states.join(' > ')})`)
  t.equal(states.at(-1), 'live')
  t.equal(sockets.length, 2, 'one new WebSocket')
  drawn = await bars(page)
  const closed = drawn.filter((b) => b[0] <= newest)
  t.same(closed, await rest(`symbol=BTCUSDT&interval=1m&to=${newest}&limit=${closed.length}`), 'after the reconnect every drawn candle equals REST')
  t.ok(drawn.every((b, i) => i === 0 || b[0] - drawn[i - 1]![0] === MIN), 'no gap and no duplicate across the outage')

  // Another interval: a new subscription and a redraw from its own REST page.
  await page.locator('#interval').selectOption('5m')
  await shown(page, 'BTCUSDT', '5m')
  let expected = await rest('symbol=BTCUSDT&interval=5m&limit=600')
  drawn = await bars(page)
  t.same(drawn.slice(0, expected.length - 1), expected.slice(0, -1), 'the 5m chart holds the closed 5m candles REST returned')
  t.equal(drawn.at(-1)![0], expected.at(-1)![0], 'and the forming 5m bar')
  t.match(new URL(page.url()).search, /symbol=BTCUSDT&interval=5m/, 'the choice is kept in the address')

  // Another symbol: its own subscription and page, the interval kept.
  await page.locator('#symbol').selectOption('ETHUSDT')
  await shown(page, 'ETHUSDT', '5m')
  expected = await rest('symbol=ETHUSDT&interval=5m&limit=600')
  drawn = await bars(page)
  t.same(drawn.slice(0, expected.length - 1), expected.slice(0, -1), 'the ETHUSDT chart holds its REST candles')
  t.not(drawn[0]![1], (await rest('symbol=BTCUSDT&interval=5m&limit=600'))[0]![1], 'not BTCUSDT\'s prices')

  // A live final on the new topic: the 5m bucket closes after its last minute.
  const bucketEnd = expected.at(-1)![0] + 5 * MIN
  const finals = (await state(page)).finals
  while (s.clock.now() < bucketEnd + 1000) {
    s.clock.advance(MIN)
    await s.ingestor.idle()
  }
  await page.waitForFunction(([ts, n]) => window.tvChart.state().finals > n && window.tvChart.bars().some((b) => b[0] === ts), [bucketEnd, finals] as const, { timeout: 30_000 })
  const closed5m = (await rest(`symbol=ETHUSDT&interval=5m&from=${expected.at(-1)![0]}&to=${expected.at(-1)![0]}`))[0]
  t.same((await bars(page)).find((b) => b[0] === expected.at(-1)![0]), closed5m, 'the closed 5m bar equals REST')

  t.equal((await state(page)).error, '', 'no error is shown')
  mkdirSync(ARTIFACTS, { recursive: true })
  await page.mouse.move(0, 0)
  await page.screenshot({ path: join(ARTIFACTS, 'chart.png') })
  t.same(problems, [], 'no console error or warning, no failed or outside request')
})

t.test('the chart in Chromium: a failed read is shown on the page and retried', { skip: browserSkip() }, async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 1)
  const app = await testApp(t, {}, { store })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(err.message))
  // The first read of the newest page fails as an overloaded service answers.
  let failed = 0
  await page.route('**/api/v1/candles?**', async (route) => {
    if (failed++ > 0) return await route.continue()
    await route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: 'service_unavailable', message: 'the service is temporarily unavailable; retry shortly' }) })
  })
  await page.goto(`${base}/`)
  const banner = page.locator('#error')
  await banner.filter({ hasText: 'the service is temporarily unavailable' }).waitFor({ timeout: 30_000 })
  t.match(await banner.textContent(), /\/api\/v1\/candles.*temporarily unavailable; retry shortly; retrying in 5 s/, 'the service\'s message is shown above the chart')
  t.equal(await page.locator('#connection').textContent(), 'live', 'the feed itself is up')
  await page.waitForFunction(() => window.tvChart.state().ready && window.tvChart.state().error === '', undefined, { timeout: 60_000 })
  t.ok(await banner.isHidden(), 'the message goes once the retry succeeded')
  t.same(await bars(page), json(await app.inject('/api/v1/candles?symbol=BTCUSDT&interval=1m&limit=600')).data, 'then the chart holds the REST page')
  t.same(pageErrors, [])
})
