// GET /api/v1/indicators against naive reference implementations written here (not trading-signals),
// each run over the whole stored history, including windows that start late in a long history.
import t from 'tap'
import type { CandleTuple } from '../../src/domain/candle.js'
import type { Interval } from '../../src/domain/intervals.js'
import { warmupBars } from '../../src/indicators/indicator-specs.js'
import type { DuckDbCandleStore } from '../../src/store/duckdb/duckdb-candle-store.js'
import { DAY, MIN, T0, json, seededStore, testApp, stalledStore } from '../helpers.js'

// --- Reference implementations, over every close from the first stored bar ---------------------

type Series = Array<number[] | null>

function sma (c: number[], p: number): Series {
  return c.map((_, i) => i < p - 1 ? null : [c.slice(i - p + 1, i + 1).reduce((s, x) => s + x, 0) / p])
}

/** Seeded with the first input, as a recursive EMA over a whole history is. */
function emaLine (c: number[], p: number): number[] {
  const a = 2 / (p + 1)
  const out: number[] = []
  for (let i = 0; i < c.length; i++) out.push(i === 0 ? c[0]! : a * c[i]! + (1 - a) * out[i - 1]!)
  return out
}

function ema (c: number[], p: number): Series {
  return emaLine(c, p).map((v, i) => i < p - 1 ? null : [v])
}

/** Wilder's RSI: the first averages are plain means of `p` gains and losses, then (avg*(p-1) + x)/p. */
function rsi (c: number[], p: number): Series {
  const out: Series = [null]
  let gain = 0
  let loss = 0
  for (let i = 1; i < c.length; i++) {
    const d = c[i]! - c[i - 1]!
    const g = Math.max(d, 0)
    const l = Math.max(-d, 0)
    if (i <= p) {
      gain += g / p
      loss += l / p
    } else {
      gain = (gain * (p - 1) + g) / p
      loss = (loss * (p - 1) + l) / p
    }
    out.push(i < p ? null : [loss === 0 ? 100 : 100 - 100 / (1 + gain / loss)])
  }
  return out
}

function macd (c: number[], fast: number, slow: number, signal: number): Series {
  const f = emaLine(c, fast)
  const s = emaLine(c, slow)
  const line = c.map((_, i) => f[i]! - s[i]!).slice(slow - 1)
  const sig = emaLine(line, signal)
  return c.map((_, i) => i < slow - 1 ? null : [line[i - slow + 1]!, sig[i - slow + 1]!, line[i - slow + 1]! - sig[i - slow + 1]!])
}

function bbands (c: number[], p: number, k: number): Series {
  return c.map((_, i) => {
    if (i < p - 1) return null
    const w = c.slice(i - p + 1, i + 1)
    const m = w.reduce((s, x) => s + x, 0) / p
    const sd = Math.sqrt(w.reduce((s, x) => s + (x - m) ** 2, 0) / p)
    return [m - k * sd, m, m + k * sd]
  })
}

// ------------------------------------------------------------------------------------------------

interface Answer { warmup: number, columns: string[], data: number[][], params: Record<string, number> }

async function allBars (store: DuckDbCandleStore, interval: Interval): Promise<CandleTuple[]> {
  return await store.getCandles({ symbol: 'BTCUSDT', interval, from: 0, limit: 1_000_000 })
}

/** Reference rows for the answer's times, after the same warm-up rule: index >= warmup. */
function expected (bars: CandleTuple[], series: Series, warmup: number, times: number[]): Map<number, number[]> {
  const out = new Map<number, number[]>()
  bars.forEach((b, i) => { if (i >= warmup && times.includes(b[0]) && series[i] !== null) out.set(b[0], series[i]!) })
  return out
}

t.test('indicators equal a whole-history computation', async (t) => {
  // 10 days of 1m candles: 14 400 bars.
  const store = await seededStore(t, ['BTCUSDT'], 10)
  const app = await testApp(t, {}, { store })
  const minutes = await allBars(store, '1m')
  const hours = await allBars(store, '1h')
  const closes = (bars: CandleTuple[]) => bars.map((b) => b[4])

  const cases: Array<{ q: string, interval: Interval, series: (c: number[]) => Series, tol: number }> = [
    { q: 'name=sma&period=30', interval: '1m', series: (c) => sma(c, 30), tol: 1e-9 },
    { q: 'name=ema&period=50', interval: '1m', series: (c) => ema(c, 50), tol: 1e-8 },
    { q: 'name=ema&period=200', interval: '1m', series: (c) => ema(c, 200), tol: 1e-8 },
    { q: 'name=rsi&period=14', interval: '1m', series: (c) => rsi(c, 14), tol: 1e-6 },
    { q: 'name=macd&fast=12&slow=26&signal=9', interval: '1m', series: (c) => macd(c, 12, 26, 9), tol: 1e-8 },
    { q: 'name=bbands&period=20&stddev=2.5', interval: '1m', series: (c) => bbands(c, 20, 2.5), tol: 1e-8 },
    { q: 'name=ema&period=5', interval: '1h', series: (c) => ema(c, 5), tol: 1e-8 },
    { q: 'name=rsi&period=6', interval: '1h', series: (c) => rsi(c, 6), tol: 1e-6 }
  ]
  for (const { q, interval, series, tol } of cases) {
    const bars = interval === '1m' ? minutes : hours
    const ref = series(closes(bars))
    // Late in the history: the window starts on day 8, far past any warm-up's reach.
    const from = T0 + 8 * DAY + 7 * MIN
    const res = await app.inject(`/api/v1/indicators?symbol=BTCUSDT&interval=${interval}&${q}&from=${from}&limit=300`)
    t.equal(res.statusCode, 200, q)
    const a = json<Answer>(res)
    const window = bars.filter((b) => b[0] >= from).slice(0, 300).map((b) => b[0])
    t.same(a.data.map((r) => r[0]), window, `${q} ${interval}: one row per candle of the window`)
    const want = expected(bars, ref, a.warmup, window)
    let worst = 0
    for (const row of a.data) {
      const w = want.get(row[0]!)!
      for (let k = 1; k < row.length; k++) {
        // Prices to `tol` of their level; RSI points to `tol` absolute.
        const scale = a.columns[k] === 'value' && q.includes('rsi') ? 1 : Math.max(1, Math.abs(w[k - 1]!))
        worst = Math.max(worst, Math.abs(row[k]! - w[k - 1]!) / scale)
      }
    }
    t.ok(worst <= tol, `${q} ${interval}: worst difference ${worst} within ${tol}`)
  }
})

t.test('no value from a cold start: the first row waits for the warm-up', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 2)
  const app = await testApp(t, {}, { store })
  const minutes = await allBars(store, '1m')
  for (const [q, params] of [
    ['name=sma&period=10', { name: 'sma', period: 10 }],
    ['name=ema&period=10', { name: 'ema', period: 10 }],
    ['name=rsi&period=10', { name: 'rsi', period: 10 }],
    ['name=macd&fast=3&slow=6&signal=4', { name: 'macd', fast: 3, slow: 6, signal: 4 }],
    ['name=bbands&period=10', { name: 'bbands', period: 10, stddev: 2 }]
  ] as const) {
    const warmup = warmupBars(params)
    const a = json<Answer>(await app.inject(`/api/v1/indicators?symbol=BTCUSDT&interval=1m&${q}&from=${T0}&limit=1000`))
    t.equal(a.warmup, warmup, `${q}: warm-up ${warmup}`)
    t.equal(a.data[0]![0], minutes[warmup]![0], `${q}: first value at the bar with ${warmup} bars before it`)
    t.equal(a.data.length, 1000 - warmup, `${q}: the earlier candles of the window have no row`)
  }
  const sma = json<Answer>(await app.inject(`/api/v1/indicators?symbol=BTCUSDT&interval=1m&name=sma&period=10&from=${T0}&limit=10`))
  t.same(sma.data, [[T0 + 9 * MIN, minutes.slice(0, 10).reduce((s, b) => s + b[4], 0) / 10]], 'sma(10) first at the 10th bar')
  const latest = json<Answer>(await app.inject('/api/v1/indicators?symbol=BTCUSDT&interval=1m&name=ema&period=9&limit=5'))
  t.same(latest.data.map((r) => r[0]), minutes.slice(-5).map((b) => b[0]), 'no bounds: the latest limit candles, as /api/v1/candles')
  t.same(latest.params, { period: 9 })
  t.same(latest.columns, ['ts', 'value'])
  const dflt = json<Answer>(await app.inject('/api/v1/indicators?symbol=BTCUSDT&interval=1h&name=MACD&limit=1'))
  t.same(dflt.params, { fast: 12, slow: 26, signal: 9 }, 'defaults; names in any case')
  t.same(dflt.data, [], '48 hourly bars are short of the 470-bar warm-up')
})

t.test('bad parameters are 400s naming the parameter', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 1)
  const app = await testApp(t, {}, { store })
  const cases: Array<[string, number, string, RegExp]> = [
    ['interval=1m', 400, 'name_invalid', /name is required; one of sma, ema, rsi, macd, bbands/],
    ['interval=1m&name=vwap', 400, 'name_invalid', /name "vwap" is not an indicator/],
    ['interval=1m&name=ema&period=0', 400, 'period_invalid', /period must be at least 1/],
    ['interval=1m&name=ema&period=1001', 400, 'period_invalid', /period must be at most 1000/],
    ['interval=1m&name=ema&period=abc', 400, 'period_invalid', /period must be an integer/],
    ['interval=1m&name=rsi&period=1', 400, 'period_invalid', /period must be an integer from 2 to 1000 \(got 1\)/],
    ['interval=1m&name=macd&fast=26&slow=12', 400, 'period_invalid', /fast \(26\) must be less than slow \(12\)/],
    ['interval=1m&name=macd&period=5', 400, 'invalid_parameter', /period does not apply to macd/],
    ['interval=1m&name=sma&stddev=2', 400, 'invalid_parameter', /stddev does not apply to sma/],
    ['interval=1m&name=bbands&stddev=0', 400, 'stddev_invalid', /stddev must be a number above 0/],
    ['interval=7m&name=ema', 400, 'interval_invalid', /interval "7m" is not a valid interval/],
    ['interval=1m&name=ema&limit=0', 400, 'limit_invalid', /limit/]
  ]
  for (const [q, status, error, message] of cases) {
    const res = await app.inject(`/api/v1/indicators?symbol=BTCUSDT&${q}`)
    t.equal(res.statusCode, status, q)
    t.match(json(res), { error, message }, q)
  }
  const unknown = await app.inject('/api/v1/indicators?symbol=NOPEUSDT&interval=1m&name=ema')
  t.equal(unknown.statusCode, 404)
  t.match(json(unknown), { error: 'symbol_not_found' })
  const paths = Object.keys(json(await app.inject('/openapi.json')).paths)
  t.ok(paths.includes('/api/v1/indicators'), 'OpenAPI lists the route')
})

t.test('indicator reads stop at HTTP_QUERY_TIMEOUT_MS: 503 query_timeout', async (t) => {
  const { store, started } = await stalledStore(t)
  const app = await testApp(t, { HTTP_QUERY_TIMEOUT_MS: 1 }, { store })
  const res = await app.inject('/api/v1/indicators?symbol=BTCUSDT&interval=1h&name=ema&period=5')
  t.equal(res.statusCode, 503)
  t.equal(json(res).error, 'query_timeout')
  t.ok(started.length === 1 && started[0]!.signal.aborted, 'the read was told to stop')
})
