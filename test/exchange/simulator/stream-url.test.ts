import t from 'tap'
import { parseStreamUrl } from '../../../src/exchange/simulator/stream-url.js'
import { timeUnitScale } from '../../../src/exchange/simulator/wire.js'

t.test('timeUnit values in any case; anything else is neither unit', async t => {
  t.equal(timeUnitScale('MICROSECOND'), 1000)
  t.equal(timeUnitScale('microsecond'), 1000)
  t.equal(timeUnitScale('MilliSecond'), 1)
  t.equal(timeUnitScale('second'), undefined)
  t.equal(timeUnitScale(''), undefined)
  t.equal(timeUnitScale('microseconds'), undefined, 'whole-value match only')
})

t.test('the timeUnit of a stream URL: milliseconds by default, an unknown unit refused with 400', async t => {
  t.match(parseStreamUrl('/ws/btcusdt@kline_1m'), { ok: true, target: { timeScale: 1 } })
  t.match(parseStreamUrl('/ws/btcusdt@kline_1m?timeUnit=MILLISECOND'), { ok: true, target: { timeScale: 1 } })
  t.match(parseStreamUrl('/stream?streams=btcusdt@kline_1m&timeUnit=Microsecond'), { ok: true, target: { timeScale: 1000 } })
  t.same(parseStreamUrl('/ws?timeUnit=nanosecond'), { ok: false, status: 400, reason: 'Invalid timeUnit nanosecond' })
  t.same(parseStreamUrl('/ws?timeUnit='), { ok: false, status: 400, reason: 'Invalid timeUnit ' })
})

t.test('endpoint forms', async t => {
  t.same(parseStreamUrl('/ws'), { ok: true, target: { combined: false, streams: [], timeScale: 1 } })
  t.same(parseStreamUrl('/ws/'), { ok: true, target: { combined: false, streams: [], timeScale: 1 } })
  t.same(parseStreamUrl('/ws/btcusdt%40kline_1m'), { ok: true, target: { combined: false, streams: ['btcusdt@kline_1m'], timeScale: 1 } }, 'percent-decoded')
  t.same(parseStreamUrl('/stream/?streams=a@kline_1m//b@kline_5m'), { ok: true, target: { combined: true, streams: ['a@kline_1m', 'b@kline_5m'], timeScale: 1 } }, 'empty names dropped')
  t.same(parseStreamUrl('/stream'), { ok: true, target: { combined: true, streams: [], timeScale: 1 } })
  t.same(parseStreamUrl('/streams'), { ok: false, status: 404, reason: 'No stream endpoint at /streams' })
})
