// Folding the spellings of the candle window parameters into their canonical names.
import fc from 'fast-check'
import t from 'tap'
import { CANDLE_PARAMS, CANDLE_PARAM_NAMES, TRADINGVIEW_RESOLUTIONS, aliasesOf, candleParamCodes, foldCandleParams } from '../../src/query/candle-params.js'
import { INTERVALS } from '../../src/domain/intervals.js'

const SPELLINGS = CANDLE_PARAM_NAMES.flatMap((name) => CANDLE_PARAMS[name].spellings)

// A query of some spellings (some empty, as `symbol=` arrives) and keys that are no parameter.
const queries = fc.record({
  sent: fc.dictionary(fc.constantFrom(...SPELLINGS), fc.oneof(fc.constant(''), fc.stringMatching(/^[A-Za-z0-9]{1,6}$/), fc.integer({ min: 1, max: 9999 }))),
  others: fc.dictionary(fc.constantFrom('name', 'period', 'q', 'extra'), fc.string())
})

t.test('the first spelling sent (and not empty) wins, the others are dropped, other keys pass through', async () => {
  fc.assert(fc.property(queries, ({ sent, others }) => {
    const raw = { ...others, ...sent }
    const { query, keys } = foldCandleParams(raw)
    for (const name of CANDLE_PARAM_NAMES) {
      const winner = CANDLE_PARAMS[name].spellings.find((key) => raw[key] !== undefined && raw[key] !== '')
      if (keys[name] !== winner) return false
      if (winner === undefined ? name in query : query[name] === undefined) return false
      if (winner !== undefined && winner !== 'resolution' && query[name] !== raw[winner]) return false
      if (aliasesOf(name).some((alias) => alias in query)) return false
    }
    return Object.entries(others).every(([key, value]) => query[key] === value)
  }), { numRuns: 2000 })
})

t.test('a TradingView resolution becomes its interval only when sent as resolution', async (t) => {
  for (const [resolution, interval] of Object.entries(TRADINGVIEW_RESOLUTIONS)) {
    t.equal(foldCandleParams({ resolution }).query.interval, interval, `resolution=${resolution}`)
    t.equal(foldCandleParams({ tf: resolution }).query.interval, resolution, `tf=${resolution} is kept as sent`)
  }
  for (const interval of INTERVALS) t.equal(foldCandleParams({ resolution: interval }).query.interval, interval)
  for (const text of ['bad', 'toString', 'constructor', '2m']) {
    t.equal(foldCandleParams({ resolution: text }).query.interval, text, `resolution=${text} is kept for the schema to refuse`)
  }
  t.same(foldCandleParams({ interval: '', resolution: '60' }), { query: { interval: '1h' }, keys: { interval: 'resolution' } })
  t.same(foldCandleParams({}), { query: {}, keys: {} })
})

t.test('the input is left as it was', async (t) => {
  const raw = Object.freeze({ pair: 'btcusdt', tf: '1m', max: 5, period: 3 })
  t.same(foldCandleParams(raw), { query: { symbol: 'btcusdt', interval: '1m', limit: 5, period: 3 }, keys: { symbol: 'pair', interval: 'tf', limit: 'max' } })
  t.same(raw, { pair: 'btcusdt', tf: '1m', max: 5, period: 3 })
})

t.test('every spelling has its parameter\'s error code', async (t) => {
  t.same(Object.entries(candleParamCodes()), [
    ['symbol', 'symbol_invalid'], ['pair', 'symbol_invalid'], ['ticker', 'symbol_invalid'],
    ['interval', 'interval_invalid'], ['resolution', 'interval_invalid'], ['tf', 'interval_invalid'],
    ['from', 'time_range_invalid'], ['fromTs', 'time_range_invalid'], ['start', 'time_range_invalid'], ['startTime', 'time_range_invalid'],
    ['to', 'time_range_invalid'], ['toTs', 'time_range_invalid'], ['end', 'time_range_invalid'], ['endTime', 'time_range_invalid'],
    ['limit', 'limit_invalid'], ['max', 'limit_invalid'], ['count', 'limit_invalid']
  ])
})
