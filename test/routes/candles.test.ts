import t from 'tap'
import { minuteCandle } from '../../src/exchange/simulator/price-model.js'
import { DAY, MIN, T0, json, seededStore, testApp } from '../helpers.js'

const LAST = T0 + 10 * DAY - MIN

t.test('GET /api/v1/candles over 10 days of BTCUSDT 1m', async (t) => {
  const store = await seededStore(t, ['BTCUSDT', 'ETHUSDT'], 10)
  const app = await testApp(t, {}, { store })
  const get = (qs: string) => app.inject({ method: 'GET', url: `/api/v1/candles?${qs}` })

  t.test('limit=5 returns the 5 newest, ascending, with exact stored values', async (t) => {
    const res = await get('symbol=BTCUSDT&interval=1m&limit=5')
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^application\/json/)
    const body = json(res)
    t.equal(body.symbol, 'BTCUSDT')
    t.equal(body.interval, '1m')
    t.same(body.data, [4, 3, 2, 1, 0].map((k) => {
      const c = minuteCandle('BTCUSDT', LAST - k * MIN)
      return [c.ts, c.open, c.high, c.low, c.close, c.volume]
    }))
  })

  t.test('to=T&limit=3 returns the 3 candles at or before T', async (t) => {
    const T = T0 + 4 * DAY + 33 * MIN
    const body = json(await get(`symbol=BTCUSDT&interval=1m&to=${T}&limit=3`))
    t.same(body.data.map((r: number[]) => r[0]), [T - 2 * MIN, T - MIN, T])
    // Backward paging: the next page ends just before this page's first candle.
    const prev = json(await get(`symbol=BTCUSDT&interval=1m&to=${T - 2 * MIN - 1}&limit=3`))
    t.same(prev.data.map((r: number[]) => r[0]), [T - 5 * MIN, T - 4 * MIN, T - 3 * MIN])
  })

  t.test('from in seconds equals from in milliseconds', async (t) => {
    const F = T0 + 2 * DAY
    const ms = await get(`symbol=BTCUSDT&interval=1m&from=${F}&limit=4`)
    const s = await get(`symbol=BTCUSDT&interval=1m&from=${F / 1000}&limit=4`)
    t.equal(s.body, ms.body)
    t.equal(json(ms).data[0][0], F)
    const toS = await get(`symbol=BTCUSDT&interval=1m&to=${F / 1000}&limit=2`)
    t.same(json(toS).data.map((r: number[]) => r[0]), [F - MIN, F])
  })

  t.test('aliases and case: pair=btcusdt&tf=1m equals symbol=BTCUSDT&interval=1m', async (t) => {
    const canonical = await get('symbol=BTCUSDT&interval=1m&limit=7')
    for (const qs of ['pair=btcusdt&tf=1m&limit=7', 'ticker=BtcUsdt&resolution=1&max=7', 'symbol=btcusdt&interval=1m&count=7']) {
      const res = await get(qs)
      t.equal(res.statusCode, 200, qs)
      t.equal(res.body, canonical.body, qs)
    }
    const F = T0 + DAY
    const byAlias = await get(`pair=BTCUSDT&tf=1m&startTime=${F}&endTime=${F + 5 * MIN}&limit=3`)
    const byName = await get(`symbol=BTCUSDT&interval=1m&from=${F}&to=${F + 5 * MIN}&limit=3`)
    t.equal(byAlias.body, byName.body, 'startTime/endTime are from/to')
    t.equal(json(await get(`symbol=BTCUSDT&interval=1m&fromTs=${F}&toTs=${F}`)).data.length, 1)
    t.equal(json(await get(`symbol=BTCUSDT&interval=1m&start=${F}&end=${F + MIN}`)).data.length, 2)
  })

  t.test('limit: default, clamp and errors', async (t) => {
    t.equal(json(await get('symbol=BTCUSDT&interval=1m')).data.length, 600, 'default limit is 600')
    t.equal(json(await get('symbol=BTCUSDT&interval=1m&limit=999999')).data.length, 5000, 'clamped to HTTP_MAX_LIMIT')
    for (const bad of ['0', 'abc', '-3', '2.5']) {
      const res = await get(`symbol=BTCUSDT&interval=1m&limit=${bad}`)
      t.equal(res.statusCode, 400, `limit=${bad}`)
      t.equal(json(res).error, 'limit_invalid')
      t.match(json(res).message, /^limit /, 'the message names limit')
    }
    t.match(json(await get('symbol=BTCUSDT&interval=1m&max=0')).message, /^max /, 'an alias is named as sent')
  })

  t.test('time range errors', async (t) => {
    const res = await get(`symbol=BTCUSDT&interval=1m&from=${T0 + DAY}&to=${T0}`)
    t.equal(res.statusCode, 400)
    t.equal(json(res).error, 'time_range_invalid')
    t.match(json(res).message, /from .* after to/)
    t.equal((await get('symbol=BTCUSDT&interval=1m&from=yesterday')).statusCode, 400)
    t.equal((await get('symbol=BTCUSDT&interval=1m&to=-5')).statusCode, 400)
  })

  t.test('interval and symbol errors', async (t) => {
    const res = await get('symbol=BTCUSDT&interval=7m')
    t.equal(res.statusCode, 400)
    t.equal(json(res).error, 'interval_invalid')
    t.match(json(res).message, /1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d, 1w, 1M/, 'lists the valid intervals')
    t.equal(json(await get('symbol=BTCUSDT')).error, 'interval_invalid', 'interval is required')
    const missing = await get('interval=1m')
    t.equal(missing.statusCode, 400)
    t.equal(json(missing).error, 'symbol_required')
    t.equal(json(await get('symbol=BTC-USDT&interval=1m')).error, 'symbol_invalid')
    const unknown = await get('symbol=DOGEUSDT&interval=1m')
    t.equal(unknown.statusCode, 404)
    t.same(Object.keys(json(unknown)), ['error', 'message'])
    t.equal(json(unknown).error, 'symbol_not_found')
  })

  t.test('a known symbol with no data in range answers an empty list', async (t) => {
    const res = await get(`symbol=ETHUSDT&interval=1m&from=${T0 + 20 * DAY}`)
    t.equal(res.statusCode, 200)
    t.same(json(res).data, [])
  })

  t.test('higher intervals roll up from 1m', async (t) => {
    const body = json(await get('symbol=BTCUSDT&interval=1d&limit=100'))
    t.equal(body.interval, '1d')
    t.equal(body.data.length, 10)
    t.same(body.data.map((r: number[]) => r[0]), Array.from({ length: 10 }, (_, i) => T0 + i * DAY))
    t.ok(body.data.every((r: number[]) => r.length === 6 && r.every(Number.isFinite)))
  })
})

t.test('latest-N bodies are cached and a write to the symbol changes the next answer', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 2)
  const app = await testApp(t, {}, { store })
  const url = '/api/v1/candles?symbol=BTCUSDT&interval=1m&limit=600'
  const a = await app.inject(url)
  const b = await app.inject(url)
  t.equal(a.body, b.body, 'identical bodies')
  t.equal(json(a).data.length, 600)
  t.equal(app.marketData.cache.hits, 1, 'the second answer came from the cache')

  const next = minuteCandle('BTCUSDT', T0 + 2 * DAY)
  await store.upsertBatch([next])
  const c = json(await app.inject(url))
  t.equal(c.data.length, 600)
  t.same(c.data[599], [next.ts, next.open, next.high, next.low, next.close, next.volume], 'the new candle is served')
  t.not(JSON.stringify(c), a.body)

  await store.upsertBatch([{ ...next, close: next.close + 1, high: next.high + 1 }])
  t.equal(json(await app.inject(url)).data[599][4], next.close + 1, 'a replaced candle is served too')
})
