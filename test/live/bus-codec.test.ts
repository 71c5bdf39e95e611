import t from 'tap'
import { decodeBusMessage, encodeBusMessage, type BusPayload } from '../../src/live/bus-codec.js'

t.test('every payload survives one encode and one decode', async (t) => {
  const payloads: BusPayload[] = [
    { type: 'candle', candle: { symbol: 'BTCUSDT', interval: '1m', ts: 1_704_067_200_000, open: 42000.5, high: 42010, low: 41990.25, close: 42001, volume: 12.5 }, final: false },
    { type: 'resync_done', interval: '1m', symbols: ['BTCUSDT', 'ETHUSDT'] },
    { type: 'write', symbols: ['BTCUSDT', 'GONEUSDT'], ranges: [{ symbol: 'BTCUSDT', interval: '1m', first: 0, last: 60_000 }] },
    { type: 'gap' }
  ]
  for (const payload of payloads) {
    const text = encodeBusMessage('me', payload)
    t.equal(typeof text, 'string')
    t.same(decodeBusMessage(text), { origin: 'me', payload }, payload.type)
  }
})

t.test('anything else is refused, never thrown', async (t) => {
  const candle = { symbol: 'BTCUSDT', interval: '1m', ts: 60_000, open: 1, high: 2, low: 1, close: 2, volume: 0 }
  const bad = [
    '', 'null', '[]', '{"m":{"type":"gap"}}', '{"o":1,"m":{"type":"gap"}}', '{"o":"x","m":{"type":"nope"}}',
    JSON.stringify({ o: 'x', m: { type: 'candle', final: 'yes', candle } }),
    JSON.stringify({ o: 'x', m: { type: 'candle', final: true, candle: { ...candle, ts: 60_001 } } }),
    JSON.stringify({ o: 'x', m: { type: 'candle', final: true, candle: { ...candle, close: 'NaN' } } }),
    JSON.stringify({ o: 'x', m: { type: 'candle', final: true, candle: { ...candle, symbol: '' } } }),
    JSON.stringify({ o: 'x', m: { type: 'resync_done', interval: '1m', symbols: [1] } }),
    JSON.stringify({ o: 'x', m: { type: 'write', symbols: ['A'], ranges: [{ symbol: 'A', interval: '1m', first: 1.5, last: 2 }] } }),
    JSON.stringify({ o: 'x', m: { type: 'write', symbols: ['A'], ranges: 'all' } })
  ]
  for (const text of bad) t.equal(decodeBusMessage(text), undefined, text.slice(0, 60))
  const extra = decodeBusMessage(JSON.stringify({ o: 'x', m: { type: 'candle', final: true, candle: { ...candle, extra: 'dropped' } } }))
  t.same(extra?.payload, { type: 'candle', final: true, candle }, 'unknown fields do not travel on')
})
