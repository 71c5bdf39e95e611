import t from 'tap'
import type { CandleTuple } from '../../src/domain/candle.js'
import { candlesJson } from '../../src/query/candles-json.js'

function candles (n: number): CandleTuple[] {
  return Array.from({ length: n }, (_, i): CandleTuple => [1704067200000 + i * 60000, 42000.5 + i, 1e21 + i, -0, 0.1 + 0.2, i === 3 ? Number.NaN : 5e-7 * i])
}

t.test('the body has the bytes of JSON.stringify over the whole response, for any page length', async (t) => {
  for (const n of [0, 1, 63, 64, 65, 128, 129, 5000]) {
    const data = candles(n)
    const expected = Buffer.from(JSON.stringify({ symbol: 'BTCUSDT', interval: '1m', data }))
    t.ok(candlesJson('BTCUSDT', '1m', data).equals(expected), `${n} candles`)
  }
})

t.test('characters JSON escapes in the symbol and interval are escaped the same way', async (t) => {
  const data = candles(2)
  const symbol = 'A"\\\u00e9\u{1F600}'
  t.equal(candlesJson(symbol, '1M', data).toString(), JSON.stringify({ symbol, interval: '1M', data }))
})
