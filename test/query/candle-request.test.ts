// The rules of the folded candle window parameters: symbol, times, limit, and the words of each
// mistake, which name the key the client sent.
import fc from 'fast-check'
import t from 'tap'
import { INTERVALS } from '../../src/domain/intervals.js'
import { TIME_MAX_MS, TIME_MIN_MS } from '../../src/domain/time.js'
import { ApiError } from '../../src/query/api-error.js'
import { INTERVAL_LIST, parseFlag, parseInterval, refusedCandleParams, requireSymbol, resolveCandleQuery } from '../../src/query/candle-request.js'
import { T0 } from '../helpers.js'

const limits = { defaultLimit: 600, maxLimit: 5000 }

function failure (fn: () => unknown): { code: string, message: string, status: number } | undefined {
  try {
    fn()
    return undefined
  } catch (err) {
    if (!(err instanceof ApiError)) throw err
    return { code: err.code, message: err.message, status: err.status }
  }
}

t.test('a folded query becomes a store query: symbol upper case, times in ms, the limit defaulted and clamped', async (t) => {
  t.same(resolveCandleQuery({ symbol: 'btcusdt', interval: '1h' }, limits), { symbol: 'BTCUSDT', interval: '1h', from: undefined, to: undefined, limit: 600 })
  t.same(resolveCandleQuery({ symbol: 'ETHUSDT', interval: '1d', from: '2024-01-01', to: '1704067200', limit: 9999 }, limits),
    { symbol: 'ETHUSDT', interval: '1d', from: T0, to: T0, limit: 5000 })
  t.same(resolveCandleQuery({ symbol: 'ETHUSDT', interval: '1m', from: '' }, limits).from, undefined, 'an empty time is no bound')
})

t.test('the limit: any integer of at least 1, at most the maximum', async () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 10_000 }), (limit, maxLimit) => {
    return resolveCandleQuery({ symbol: 'BTCUSDT', interval: '1m', limit }, { defaultLimit: 1, maxLimit }).limit === Math.min(limit, maxLimit)
  }))
  fc.assert(fc.property(fc.oneof(fc.integer({ max: 0 }), fc.double({ noInteger: true })), (limit) => {
    const got = failure(() => resolveCandleQuery({ symbol: 'BTCUSDT', interval: '1m', limit }, limits, { limit: 'count' }))
    return got?.code === 'limit_invalid' && got.message.startsWith(`count must be an integer of at least 1 (got "${limit}")`)
  }))
})

t.test('from after to is refused; any ordered pair in the range is kept as given', async () => {
  fc.assert(fc.property(fc.integer({ min: TIME_MIN_MS, max: TIME_MAX_MS }), fc.integer({ min: TIME_MIN_MS, max: TIME_MAX_MS }), (a, b) => {
    const from = new Date(a).toISOString()
    const to = new Date(b).toISOString()
    const got = failure(() => resolveCandleQuery({ symbol: 'BTCUSDT', interval: '1m', from, to }, limits))
    if (a <= b) return got === undefined
    return got?.code === 'time_range_invalid' && got.message === `from (${a}) is after to (${b})`
  }))
})

t.test('each mistake names the key the value was sent as', async (t) => {
  const q = { symbol: 'BTCUSDT', interval: '1m' } as const
  t.same(failure(() => resolveCandleQuery({ ...q, from: 'abc' }, limits, { from: 'startTime' })), {
    status: 400,
    code: 'time_range_invalid',
    message: 'startTime must be epoch seconds or milliseconds (digits only) or an ISO-8601 date or date-time such as 2024-01-01 or 2024-01-01T12:00:00Z (got "abc")'
  })
  t.match(failure(() => resolveCandleQuery({ ...q, to: '99999999999999999' }, limits, { to: 'end' })), { code: 'time_range_invalid', message: /^end is outside the supported range 0 \(1970/ })
  t.match(failure(() => resolveCandleQuery({ ...q, to: '99999999999999999' }, limits)), { message: /^to is outside/ }, 'the canonical name when no key is known')
  t.same(failure(() => resolveCandleQuery({ ...q, symbol: 'BTC-USDT' }, limits, { symbol: 'pair' })),
    { status: 400, code: 'symbol_invalid', message: 'pair "BTC-USDT" is not a symbol: use letters and digits, e.g. BTCUSDT' })
})

t.test('a refusal of the route schema is explained as the rules always answered: symbol first, then interval', async (t) => {
  const required = { code: 'symbol_required', message: 'symbol is required (e.g. symbol=BTCUSDT)' }
  const answer = (query: Record<string, unknown>, keys = {}) => {
    const err = refusedCandleParams(query, keys)
    return err === undefined ? undefined : { code: err.code, message: err.message }
  }
  t.same(answer({}), required)
  t.same(answer({ interval: 'bad' }, { interval: 'tf' }), required)
  t.same(answer({ symbol: 'BTC-USDT', interval: 'bad' }, { symbol: 'ticker', interval: 'tf' }),
    { code: 'symbol_invalid', message: 'ticker "BTC-USDT" is not a symbol: use letters and digits, e.g. BTCUSDT' })
  t.same(answer({ symbol: 'BTC-USDT' }), { code: 'symbol_invalid', message: 'symbol "BTC-USDT" is not a symbol: use letters and digits, e.g. BTCUSDT' })
  t.same(answer({ symbol: 'BTCUSDT' }), { code: 'interval_invalid', message: `interval is required; one of ${INTERVAL_LIST}` })
  t.same(answer({ symbol: 'BTCUSDT', interval: '60' }, { interval: 'tf' }), { code: 'interval_invalid', message: `tf "60" is not a valid interval; one of ${INTERVAL_LIST}` })
  t.equal(answer({ symbol: 'BTCUSDT', interval: '1m' }), undefined, 'nothing to explain: the schema refused something else')
})

t.test('intervals, symbols and flags', async (t) => {
  for (const interval of INTERVALS) t.equal(parseInterval(interval), interval)
  t.equal(parseInterval('60'), undefined, 'TradingView resolutions are the alias folding\'s (resolution=60)')
  t.equal(requireSymbol(' ethbtc '), 'ETHBTC')
  t.match(failure(() => requireSymbol(undefined)), { code: 'symbol_required' })
  t.match(failure(() => requireSymbol('', 'ticker')), { code: 'symbol_required', message: 'ticker is required (e.g. ticker=BTCUSDT)' })
  t.equal(parseFlag(undefined, 'active'), false)
  t.equal(parseFlag('yes', 'active'), true)
  t.same(failure(() => parseFlag('maybe', 'active')), { status: 400, code: 'invalid_parameter', message: 'active must be true or false (got "maybe")' })
})
