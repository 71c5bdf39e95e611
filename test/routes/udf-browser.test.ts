// The UDF datafeed from a web page on another origin, in headless Chromium: the requests TradingView's
// Charting Library (UDFCompatibleDatafeed) makes on start-up and when it draws a symbol, sent with
// fetch() as the library sends them. The Charting Library itself is licensed by TradingView and not
// published on npm, so the page speaks its protocol instead of loading it.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { browserSkip, launchBrowser } from '../browser.js'
import { DAY, T0, seededStore, testApp, type Teardown } from '../helpers.js'

/** A second loopback server: the chart page's own origin, holding nothing but an empty page. */
async function pageServer (t: Teardown): Promise<number> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end('<!doctype html><title>chart</title>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return (server.address() as AddressInfo).port
}

interface Answers {
  config: any
  symbol: any
  history: any
  older: any
  time: string
  quotes: any
}

t.test('a page on another origin reads the UDF datafeed as the Charting Library does', { skip: browserSkip() }, async (t) => {
  const pagePort = await pageServer(t)
  const pageOrigin = `http://127.0.0.1:${pagePort}`
  const store = await seededStore(t, ['BTCUSDT'], 3)
  const app = await testApp(t, { HTTP_CORS_ENABLE: true, HTTP_CORS_ORIGIN: [pageOrigin] }, { store })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const datafeed = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/udf`

  // An origin that is not on the CORS list, served by the same page server.
  const browser = await launchBrowser(t, ['--host-resolver-rules=MAP other-origin.test 127.0.0.1'])
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await page.goto(pageOrigin)

  const to = (T0 + 3 * DAY) / 1000
  const answers = await page.evaluate(async ({ datafeed, to }) => {
    // The library's requester: GET `${datafeedURL}/${path}?${params}`, the body parsed as JSON.
    const send = async (path: string, params: Record<string, string | number> = {}) => {
      const q = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString()
      const res = await fetch(`${datafeed}/${path}${q === '' ? '' : `?${q}`}`, { credentials: 'same-origin' })
      return await res.text()
    }
    const config = JSON.parse(await send('config'))
    const symbol = JSON.parse(await send('symbols', { symbol: 'BTCUSDT' }))
    // getBars: the first request of a 1h chart, then the next page further left.
    const history = JSON.parse(await send('history', { symbol: 'BTCUSDT', resolution: '60', from: to - 86_400, to, countback: 48 }))
    const older = JSON.parse(await send('history', { symbol: 'BTCUSDT', resolution: '60', from: to - 20 * 86_400, to: to - 3 * 86_400, countback: 300 }))
    const time = await send('time')
    const quotes = JSON.parse(await send('quotes', { symbols: 'BTCUSDT' }))
    return { config, symbol, history, older, time, quotes }
  }, { datafeed, to }) as Answers

  t.same(answers.config.supported_resolutions, ['1', '3', '5', '15', '30', '60', '120', '240', '360', '480', '720', '1D', '1W', '1M'])
  t.equal(answers.config.supports_time, true)
  t.match(answers.symbol, { name: 'BTCUSDT', session: '24x7', timezone: 'Etc/UTC', type: 'crypto', has_intraday: true })
  t.equal(answers.history.s, 'ok')
  t.equal(answers.history.t.length, 48, 'countback bars')
  t.equal(answers.history.t.at(-1), to - 3600, 'the newest bar opens before to')
  t.ok(answers.history.t.every((x: number, i: number) => i === 0 || x > answers.history.t[i - 1]), 'ascending')
  t.same(answers.older, { s: 'no_data' }, 'before the first candle: the library stops paging left')
  t.match(answers.time, /^\d+$/)
  t.equal(answers.quotes.d[0].s, 'ok')
  t.same(errors, [], 'no page error')

  // The same requests from an origin off the list are refused by the browser.
  await page.goto(`http://other-origin.test:${pagePort}`)
  const refused = await page.evaluate(async (url) => {
    try {
      await fetch(url)
      return 'allowed'
    } catch (err) {
      return (err as Error).name
    }
  }, `${datafeed}/config`)
  t.equal(refused, 'TypeError', 'no CORS headers for another origin: the browser blocks the answer')
})
