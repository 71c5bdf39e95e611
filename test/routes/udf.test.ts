// The TradingView UDF datafeed's protocol rules, through inject() on a store seeded from the
// simulator: resolutions, countback over from, exclusive `to`, no_data/nextTime, errors.
import t from 'tap'
import { seedStore } from '../../src/cli/seed.js'
import { INTERVALS, type Interval } from '../../src/domain/intervals.js'
import { symbolModel } from '../../src/exchange/simulator/price-model.js'
import { MarketData } from '../../src/query/market-data.js'
import { UdfFeed } from '../../src/udf/udf-feed.js'
import { UDF_RESOLUTIONS } from '../../src/udf/resolutions.js'
import { DAY, MIN, T0, json, seededStore, testApp, stalledStore } from '../helpers.js'
import { startHarness, waitFor } from '../ingest/ingest-helpers.js'

const S = (ms: number) => ms / 1000
const H = 60 * MIN

type Bar = [number, number, number, number, number, number]
interface History { s: string, t?: number[], o?: number[], h?: number[], l?: number[], c?: number[], v?: number[], nextTime?: number, errmsg?: string }

/** A history answer back as [ts ms, o, h, l, c, v] rows, for comparing with /api/v1/candles. */
function rows (h: History): Bar[] {
  return (h.t ?? []).map((t, i) => [t * 1000, h.o![i]!, h.h![i]!, h.l![i]!, h.c![i]!, h.v![i]!])
}

t.test('UDF datafeed over 10 days of seeded 1m candles', async (t) => {
  const store = await seededStore(t, ['BTCUSDT', 'ETHUSDT'], 10)
  const app = await testApp(t, {}, { store })
  const get = async (url: string) => await app.inject(url)
  const history = async (q: string) => {
    const res = await get(`/udf/history?${q}`)
    return { status: res.statusCode, body: json<History>(res) }
  }
  const candles = async (interval: Interval, q: string) =>
    json<{ data: Bar[] }>(await get(`/api/v1/candles?symbol=BTCUSDT&interval=${interval}&${q}`)).data
  const END = T0 + 10 * DAY

  t.test('config', async (t) => {
    const res = await get('/udf/config')
    t.equal(res.statusCode, 200)
    const c = json(res)
    t.same(c.supported_resolutions, ['1', '3', '5', '15', '30', '60', '120', '240', '360', '480', '720', '1D', '1W', '1M'])
    t.match(c, { supports_search: true, supports_group_request: false, supports_time: true, supports_marks: false, supports_timescale_marks: false })
  })

  t.test('every resolution maps to its interval and gives the /api/v1/candles bars', async (t) => {
    t.equal(UDF_RESOLUTIONS.length, INTERVALS.length, 'one resolution per interval served')
    const aliases: Array<[string, Interval]> = [['D', '1d'], ['W', '1w'], ['M', '1M']]
    for (const [res, interval] of [...UDF_RESOLUTIONS.map((r, i) => [r, INTERVALS[i]!] as [string, Interval]), ...aliases]) {
      const h = await history(`symbol=BTCUSDT&resolution=${res}&from=0&to=${S(END)}&countback=3`)
      t.equal(h.status, 200, `resolution ${res}`)
      // The candles route's `to` is inclusive, UDF's is not.
      t.same(rows(h.body), await candles(interval, `to=${END - 1}&limit=3`), `resolution ${res} = interval ${interval}`)
    }
    const h = await history(`symbol=BTCUSDT&resolution=240&from=${S(T0)}&to=${S(T0 + 2 * DAY)}`)
    t.same(h.body.t, Array.from({ length: 12 }, (_, i) => S(T0 + i * 4 * H)), '4h bars open on 4h boundaries, in seconds')
  })

  t.test('[from, to): from inclusive, to exclusive, ascending numbers', async (t) => {
    const from = T0 + DAY
    const h = await history(`symbol=BTCUSDT&resolution=60&from=${S(from)}&to=${S(from + 5 * H)}`)
    t.equal(h.body.s, 'ok')
    t.same(h.body.t, [0, 1, 2, 3, 4].map((k) => S(from + k * H)), 'the bar opening at to is left out')
    t.same(rows(h.body), await candles('1h', `from=${from}&to=${from + 4 * H}`))
    for (const col of ['t', 'o', 'h', 'l', 'c', 'v'] as const) {
      t.ok(h.body[col]!.every((x) => typeof x === 'number'), `${col} holds numbers`)
    }
    const one = await history(`symbol=BTCUSDT&resolution=1&from=${S(from)}&to=${S(from) + 1}`)
    t.same(one.body.t, [S(from)], 'a one-second range holds the bar opening at from')
    const none = await history(`symbol=BTCUSDT&resolution=1&from=${S(from)}&to=${S(from)}`)
    t.equal(none.body.s, 'no_data', 'from = to is empty')
    t.equal(none.body.nextTime, S(from - MIN), 'and points at the bar before')
  })

  t.test('countback takes priority over from', async (t) => {
    const to = T0 + 2 * DAY
    const h = await history(`symbol=BTCUSDT&resolution=5&from=${S(to - 10 * MIN)}&to=${S(to)}&countback=7`)
    t.same(h.body.t, [7, 6, 5, 4, 3, 2, 1].map((k) => S(to - k * 5 * MIN)), 'the 7 bars before to, though from allows 2')
    const late = await history(`symbol=BTCUSDT&resolution=5&from=${S(to + DAY)}&to=${S(to)}&countback=2`)
    t.equal(late.status, 200, 'a from after to does not matter with countback')
    t.same(late.body.t, [2, 1].map((k) => S(to - k * 5 * MIN)))
    const noFrom = await history(`symbol=BTCUSDT&resolution=1D&to=${S(END)}&countback=100`)
    t.same(noFrom.body.t, Array.from({ length: 10 }, (_, i) => S(T0 + i * DAY)), 'countback beyond the history gives what there is')
  })

  t.test('no_data and nextTime', async (t) => {
    const before = await history(`symbol=BTCUSDT&resolution=60&from=${S(T0 - 10 * DAY)}&to=${S(T0)}`)
    t.same(before.body, { s: 'no_data' }, 'before the first candle: no nextTime, so the library stops asking')
    const cbBefore = await history(`symbol=BTCUSDT&resolution=60&to=${S(T0)}&countback=50`)
    t.same(cbBefore.body, { s: 'no_data' }, 'countback before the first candle too')
    const after = await history(`symbol=BTCUSDT&resolution=1D&from=${S(END + 5 * DAY)}&to=${S(END + 9 * DAY)}`)
    t.same(after.body, { s: 'no_data', nextTime: S(END - DAY) }, 'after the last candle: nextTime is the newest bar')
    const zero = await history('symbol=BTCUSDT&resolution=1&from=0&to=0')
    t.same(zero.body, { s: 'no_data' })
  })

  t.test('symbols, search, time', async (t) => {
    const res = await get('/udf/symbols?symbol=btcusdt')
    t.equal(res.statusCode, 200)
    const info = json(res)
    const model = symbolModel('BTCUSDT')
    t.match(info, {
      name: 'BTCUSDT',
      ticker: 'BTCUSDT',
      full_name: 'BINANCE:BTCUSDT',
      description: 'BTC / USDT',
      type: 'crypto',
      session: '24x7',
      timezone: 'Etc/UTC',
      exchange: 'BINANCE',
      minmov: 1,
      pricescale: 10 ** model.priceDecimals,
      volume_precision: model.volumeDecimals,
      has_intraday: true,
      has_daily: true,
      has_weekly_and_monthly: true
    })
    t.equal(info.data_status, undefined, 'not streaming without a live stream')
    t.same(json(await get('/udf/symbols?symbol=BINANCE:ETHUSDT')).name, 'ETHUSDT')
    const unknown = await get('/udf/symbols?symbol=NOPEUSDT')
    t.equal(unknown.statusCode, 404)
    t.match(json(unknown), { s: 'error', errmsg: /unknown symbol NOPEUSDT/ })
    t.equal((await get('/udf/symbols?symbol=KRAKEN:BTCUSDT')).statusCode, 404, 'another exchange prefix')

    t.same(json(await get('/udf/search?query=eth&type=crypto&exchange=BINANCE&limit=10')),
      [{ symbol: 'ETHUSDT', full_name: 'BINANCE:ETHUSDT', description: 'ETH / USDT', exchange: 'BINANCE', ticker: 'ETHUSDT', type: 'crypto' }])
    t.same(json<unknown[]>(await get('/udf/search?query=&limit=1')).length, 1, 'limit')
    t.same(json(await get('/udf/search?query=BTC&type=stock')), [], 'only crypto here')

    const before = Math.floor(Date.now() / 1000)
    const time = await get('/udf/time')
    const after = Math.floor(Date.now() / 1000)
    t.match(time.headers['content-type'], /^text\/plain/)
    t.match(time.body, /^\d+$/, 'a bare number')
    t.ok(Number(time.body) >= before && Number(time.body) <= after, 'unix seconds')
  })

  t.test('quotes: last price and 24 h change from the stored 1m candles', async (t) => {
    const res = await get('/udf/quotes?symbols=BTCUSDT,NOPEUSDT')
    t.equal(res.statusCode, 200)
    const body = json(res)
    t.equal(body.s, 'ok')
    const last = (await candles('1m', 'limit=1'))[0]!
    const day = await candles('1m', `from=${last[0] - DAY + MIN}&to=${last[0]}&limit=5000`)
    const prev = (await candles('1m', `to=${last[0] - DAY}&limit=1`))[0]!
    t.equal(day.length, 1440)
    t.match(body.d[0], {
      s: 'ok',
      n: 'BTCUSDT',
      v: {
        lp: last[4],
        prev_close_price: prev[4],
        open_price: day[0]![1],
        high_price: Math.max(...day.map((b) => b[2])),
        low_price: Math.min(...day.map((b) => b[3]))
      }
    })
    t.ok(Math.abs(body.d[0].v.ch - (last[4] - prev[4])) < 1e-8)
    t.equal(body.d[0].v.chp, Number(((last[4] - prev[4]) / prev[4] * 100).toFixed(2)))
    t.ok(Math.abs(body.d[0].v.volume - day.reduce((s, b) => s + b[5], 0)) < 1e-6)
    t.match(body.d[1], { s: 'error', n: 'NOPEUSDT', errmsg: /unknown symbol/ })
    const none = await get('/udf/quotes')
    t.equal(none.statusCode, 400)
    t.match(json(none), { s: 'error', errmsg: /symbols is required/ })
  })

  t.test('errors are {s: "error", errmsg} naming the parameter', async (t) => {
    const cases: Array<[string, number, RegExp]> = [
      ['resolution=60&from=0&to=100', 400, /symbol is required/],
      ['symbol=NOPEUSDT&resolution=60&from=0&to=100', 404, /unknown symbol NOPEUSDT/],
      ['symbol=BTC-USDT&resolution=60&from=0&to=100', 400, /symbol "BTC-USDT" is not a symbol/],
      ['symbol=BTCUSDT&resolution=7&from=0&to=100', 400, /resolution "7" is not supported; one of 1 3 5/],
      ['symbol=BTCUSDT&from=0&to=100', 400, /resolution is required/],
      ['symbol=BTCUSDT&resolution=60&to=100', 400, /from is required/],
      ['symbol=BTCUSDT&resolution=60&from=0', 400, /to is required/],
      ['symbol=BTCUSDT&resolution=60&from=200&to=100', 400, /from \(200\) is after to \(100\)/],
      ['symbol=BTCUSDT&resolution=60&from=abc&to=100', 400, /^from must be integer/],
      ['symbol=BTCUSDT&resolution=60&from=-5&to=100', 400, /^from must be >= 0/],
      ['symbol=BTCUSDT&resolution=60&to=100&countback=0', 400, /^countback must be >= 1/],
      ['symbol=BTCUSDT&resolution=60&from=0&to=1704067200000', 400, /to must be in seconds, not milliseconds/]
    ]
    for (const [q, status, errmsg] of cases) {
      const h = await history(q)
      t.equal(h.status, status, q)
      t.match(h.body, { s: 'error', errmsg }, q)
      t.same(Object.keys(h.body).sort(), ['errmsg', 's'])
    }
  })

  t.test('OpenAPI lists every /udf route', async (t) => {
    const paths = Object.keys(json(await get('/openapi.json')).paths)
    for (const p of ['/udf/config', '/udf/symbols', '/udf/search', '/udf/time', '/udf/quotes', '/udf/history']) {
      t.ok(paths.includes(p), p)
    }
  })
})

t.test('history over a gap and past the bar cap', async (t) => {
  // Day 0 and days 3-4 stored; days 1-2 missing.
  const store = await seededStore(t, ['BTCUSDT'], 1)
  await seedStore(store, { symbols: ['BTCUSDT'], from: T0 + 3 * DAY, to: T0 + 5 * DAY })
  const app = await testApp(t, { HTTP_MAX_LIMIT: 100, HTTP_DEFAULT_LIMIT: 100 }, { store })
  const history = async (q: string) => json<History>(await app.inject(`/udf/history?symbol=BTCUSDT&${q}`))

  const gap = await history(`resolution=60&from=${S(T0 + DAY)}&to=${S(T0 + 3 * DAY)}`)
  t.same(gap, { s: 'no_data', nextTime: S(T0 + DAY - H) }, 'inside the gap: nextTime is the last bar before it')
  const across = await history(`resolution=60&from=${S(T0 + 2 * DAY)}&to=${S(T0 + 3 * DAY + 2 * H)}`)
  t.same(across.t, [S(T0 + 3 * DAY), S(T0 + 3 * DAY + H)], 'a range reaching past the gap holds the bars after it')
  const cb = await history(`resolution=60&to=${S(T0 + 3 * DAY + H)}&countback=3`)
  t.same(cb.t, [S(T0 + DAY - 2 * H), S(T0 + DAY - H), S(T0 + 3 * DAY)], 'countback reaches back over the gap')

  const wide = await history(`resolution=1&from=${S(T0)}&to=${S(T0 + DAY)}`)
  t.equal(wide.t!.length, 100, 'at most HTTP_MAX_LIMIT bars')
  t.equal(wide.t!.at(-1), S(T0 + DAY - MIN), 'the newest ones: the library asks again before the first')
  t.ok(wide.t!.every((x, i) => i === 0 || x - wide.t![i - 1]! === 60), 'ascending, consecutive')
  const capped = await history(`resolution=1&to=${S(T0 + DAY)}&countback=1000`)
  t.same(capped.t, wide.t, 'countback is capped the same way')
})

t.test('SymbolInfo from the exchange\'s steps and the live state', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 1)
  const live = {
    liveSymbols: () => [
      { symbol: 'BTCUSDT', active: true, base: 'BTC', quote: 'USDT', tickSize: 0.01, stepSize: 0.00001 },
      { symbol: 'DOGEUSDT', active: false, base: 'DOGE', quote: 'USDT', tickSize: 0.00005, stepSize: 1 }
    ]
  }
  const feed = new UdfFeed(store, new MarketData(store, { limits: { defaultLimit: 600, maxLimit: 5000 }, live }), { maxBars: 5000, now: () => 1_700_000_000_999 })
  t.match(await feed.symbolInfo('BTCUSDT'), { pricescale: 100, minmov: 1, volume_precision: 5, data_status: 'streaming' })
  const doge = await feed.symbolInfo('DOGEUSDT')
  t.match(doge, { pricescale: 100000, minmov: 5, volume_precision: 0, description: 'DOGE / USDT' }, 'a tick of 5 units of the last decimal')
  t.equal(doge.data_status, undefined, 'an inactive stream is not streaming')
  t.equal(feed.time(), 1_700_000_000, 'whole seconds')
})

t.test('SymbolInfo of a symbol ingested live from the simulator', async (t) => {
  const h = await startHarness(t, { symbols: ['ETHUSDT'], lookbackMs: 60 * MIN })
  h.ingestor.start()
  await waitFor(() => h.messages.some((m) => m.type === 'resync_done'), 30_000, 'resync_done')
  await waitFor(() => h.ingestor.liveSymbols()[0]?.active === true, 10_000, 'stream open')
  const feed = new UdfFeed(h.store, new MarketData(h.store, { limits: { defaultLimit: 600, maxLimit: 5000 }, live: h.ingestor }), { maxBars: 5000 })
  const model = symbolModel('ETHUSDT')
  t.match(await feed.symbolInfo('ETHUSDT'), {
    pricescale: 10 ** model.priceDecimals,
    minmov: 1,
    volume_precision: model.volumeDecimals,
    data_status: 'streaming'
  }, 'steps from the exchange info\'s PRICE_FILTER and LOT_SIZE, streaming while subscribed')
})

t.test('UDF answers a browser origin on the CORS list', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 1)
  const app = await testApp(t, { HTTP_CORS_ENABLE: true, HTTP_CORS_ORIGIN: ['http://chart.example.test'] }, { store })
  const origin = 'http://chart.example.test'
  for (const url of ['/udf/config', '/udf/symbols?symbol=BTCUSDT', `/udf/history?symbol=BTCUSDT&resolution=60&to=${S(T0 + DAY)}&countback=2`, '/udf/time']) {
    const res = await app.inject({ url, headers: { origin } })
    t.equal(res.statusCode, 200, url)
    t.equal(res.headers['access-control-allow-origin'], origin, url)
  }
})

t.test('a history read past HTTP_QUERY_TIMEOUT_MS is stopped and answered in UDF\'s error shape', async (t) => {
  const { store, started } = await stalledStore(t)
  const app = await testApp(t, { HTTP_QUERY_TIMEOUT_MS: 1 }, { store })
  const res = await app.inject(`/udf/history?symbol=BTCUSDT&resolution=1&to=${S(T0 + DAY)}&countback=10`)
  t.equal(res.statusCode, 503)
  t.match(json(res), { s: 'error', errmsg: /longer than 1 ms \(HTTP_QUERY_TIMEOUT_MS\)/ })
  t.ok(started.length === 1 && started[0]!.signal.aborted, 'the read was told to stop')
})
