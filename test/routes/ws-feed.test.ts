import t from 'tap'
import { INTERVALS } from '../../src/domain/intervals.js'
import { MIN, NOW, stepMinutes, waitFor } from '../ingest/ingest-helpers.js'
import { Client, SERVER_CLOSE_CODES, restCandle, startLiveService } from './ws-helpers.js'

t.test('subscriptions: a 1m subscriber gets its topic only; a client that never subscribes gets both symbols', async (t) => {
  const s = await startLiveService(t)
  const sub = await Client.open(t, s.url)
  const all = await Client.open(t, s.url)
  t.same(sub.messages[0], { type: 'welcome', event: 'welcome', version: 1, intervals: [...INTERVALS] }, 'welcome first')
  await sub.subscribe('btcusdt', '1m')
  t.same(sub.messages[1], { type: 'subscribed', symbol: 'BTCUSDT', interval: '1m' })

  // Half-minute steps: partials of the forming minute, then its close.
  s.clock.advance(20_000)
  await waitFor(() => sub.candles().length >= 1, 30_000, 'a partial')
  s.clock.advance(20_000)
  await waitFor(() => sub.candles().length >= 2, 30_000, 'another partial')
  s.clock.advance(20_000)
  await waitFor(() => sub.candles().some((m) => m.final), 30_000, 'the final')
  const candles = sub.candles()
  t.ok(candles.every((m) => m.symbol === 'BTCUSDT' && m.interval === '1m'), 'nothing for ETHUSDT')
  const final = candles.find((m) => m.final)!
  const partials = candles.slice(0, candles.indexOf(final)).filter((m) => !m.final)
  t.ok(partials.length >= 2, `partials (${partials.length})`)
  t.ok(partials.every((m) => m.data[0] === NOW), 'partials share the open time of the forming minute')
  t.equal(final.data[0], NOW)
  t.ok(candles.indexOf(final) > candles.indexOf(partials.at(-1)!), 'the final comes after the partials')
  t.same(final.data, await restCandle(s.base, 'BTCUSDT', '1m', NOW), 'the final equals the REST candle')
  t.ok(final.data.length === 6 && final.data.every(Number.isFinite))

  await waitFor(() => new Set(all.candles().map((m) => m.symbol)).size === 2, 30_000, 'broadcast of both symbols')
  t.ok(all.candles().every((m) => m.interval === '1m'), 'broadcast topics are LIVE_INTERVALS (1m)')

  sub.send({ type: 'unsubscribe', symbol: 'BTCUSDT', interval: '1m' })
  await waitFor(() => sub.count('unsubscribed') === 1)
  const seen = sub.candles().length
  await stepMinutes(s.clock, 2)
  await s.app.liveFeed.idle()
  t.equal(sub.candles().length, seen, 'after unsubscribing from everything: nothing (no return to broadcast)')
  const stats = (await (await fetch(`${s.base}/stats`)).json() as { ws: Record<string, number> }).ws
  t.equal(stats.clients, 2)
  t.equal(stats.subscriptions, 0)
  t.ok(stats.messages_sent_total > 0 && stats.bytes_sent_total > 0)
})

t.test('higher intervals: 5m and 1h finals equal the REST candles of their buckets', async (t) => {
  const s = await startLiveService(t)
  const c = await Client.open(t, s.url)
  await c.subscribe('ETHUSDT', '5m')
  await c.subscribe('ETHUSDT', '1h')
  await c.subscribe('BTCUSDT', '4h')
  for (let i = 0; i < 62; i++) {
    s.clock.advance(30_000)
    s.clock.advance(30_000)
    await s.ingestor.idle()
  }
  await s.ingestor.idle()
  await s.app.liveFeed.idle()
  await waitFor(() => c.candles('ETHUSDT', '1h').some((m) => m.final), 30_000, 'the 1h final')
  const finals5 = c.candles('ETHUSDT', '5m').filter((m) => m.final)
  t.ok(finals5.length >= 12, `5m finals (${finals5.length})`)
  for (const f of finals5) t.same(f.data, await restCandle(s.base, 'ETHUSDT', '5m', f.data[0]), `5m ${new Date(f.data[0]).toISOString()}`)
  const finals1h = c.candles('ETHUSDT', '1h').filter((m) => m.final)
  t.equal(finals1h.length, 1, 'one hour closed')
  t.same(finals1h[0]!.data, await restCandle(s.base, 'ETHUSDT', '1h', NOW), 'the 1h final equals REST')
  const partials5 = c.candles('ETHUSDT', '5m').filter((m) => !m.final)
  const lastFinal = finals5.at(-1)!
  t.ok(partials5.every((p) => p.data[0] % (5 * MIN) === 0), '5m partials carry the bucket open time')
  t.ok(c.candles('ETHUSDT', '5m').every((m, i, arr) => i === 0 || m.data[0] >= arr[i - 1]!.data[0]), 'never older than what came before')
  const four = c.candles('BTCUSDT', '4h')
  t.ok(four.length > 0 && four.every((m) => !m.final && m.data[0] === NOW - (NOW % (4 * 60 * MIN))), '4h partials for the forming bucket')
  // A forming 5m bar is the bucket so far: its open is the bucket's first minute.
  const forming = partials5.filter((p) => p.data[0] > lastFinal.data[0]).at(-1)
  if (forming !== undefined) t.equal(forming.data[1], (await restCandle(s.base, 'ETHUSDT', '1m', forming.data[0]))![1])
})

t.test('after a stream drop, the catch-up candles arrive as finals before resync_done', async (t) => {
  const s = await startLiveService(t)
  const c = await Client.open(t, s.url)
  await c.subscribe('BTCUSDT', '1m')
  s.sim.faults.dropStreams()
  await stepMinutes(s.clock, 6, 2)
  await waitFor(() => c.count('resync_done') >= 1, 10_000, 'resync_done')
  const i = c.messages.findIndex((m) => m.type === 'resync_done')
  const finals = c.messages.slice(0, i).filter((m) => m.type === 'candle' && m.final).map((m) => m.data[0])
  for (let k = 0; k < 5; k++) t.ok(finals.includes(NOW + k * MIN), `minute ${k} was sent as final before resync_done`)
  t.match(c.messages[i], { type: 'resync_done', interval: '1m' })
  t.ok(c.messages[i]!.symbols.includes('BTCUSDT'))
})

t.test('snapshot on subscribe comes first, then live messages', async (t) => {
  const s = await startLiveService(t)
  const c = await Client.open(t, s.url)
  await c.subscribe('BTCUSDT', '15m', { snapshot: 4 })
  await waitFor(() => c.count('snapshot') === 1)
  const snap = c.messages.find((m) => m.type === 'snapshot')!
  const rest = await (await fetch(`${s.base}/api/v1/candles?symbol=BTCUSDT&interval=15m&limit=4`)).json() as { data: number[][] }
  t.same(snap, { type: 'snapshot', symbol: 'BTCUSDT', interval: '15m', data: rest.data })
  await stepMinutes(s.clock, 2)
  await waitFor(() => c.candles('BTCUSDT', '15m').length > 0)
  t.ok(c.messages.indexOf(snap) < c.messages.indexOf(c.candles()[0]!), 'the snapshot precedes the live candles')
})

t.test('throttle 500 ms with partials every 100 ms: at most one partial per 500 ms, and always the final', async (t) => {
  const s = await startLiveService(t, { WS_PARTIAL_THROTTLE_MS: 500 })
  const c = await Client.open(t, s.url)
  await c.subscribe('ETHUSDT', '1m')
  await c.subscribe('ETHUSDT', '5m')
  const received: number[] = []
  c.ws.on('message', (d) => { const m = JSON.parse(String(d)); if (m.type === 'candle' && !m.final && m.interval === '1m') received.push(m.data[4]) })
  // 2.5 s of partials every 100 ms on the bus, then the close.
  const base = { symbol: 'ETHUSDT', interval: '1m' as const, ts: NOW, open: 100, volume: 1 }
  for (let i = 0; i < 25; i++) {
    s.app.liveBus.publish({ type: 'candle', final: false, candle: { ...base, high: 101 + i, low: 99, close: 100 + i } })
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  s.app.liveBus.publish({ type: 'candle', final: true, candle: { ...base, high: 130, low: 99, close: 125 } })
  await waitFor(() => c.candles('ETHUSDT', '1m').some((m) => m.final), 30_000, 'the final')
  // Timing per window is tested on a driven clock (test/live/live-feed-throttle.test.ts); over a real socket on a
  // machine of any speed, fewer partials arrive than were published, and the final always does.
  t.ok(received.length >= 1 && received.length < 25, `${received.length} of 25 partials`)
  const oneMinute = c.candles('ETHUSDT', '1m')
  t.same(oneMinute.at(-1), { type: 'candle', symbol: 'ETHUSDT', interval: '1m', data: [NOW, 100, 130, 99, 125, 1], final: true }, 'the final is never throttled away')
  t.notOk(oneMinute.slice(0, -1).some((m) => m.data[4] === 124 && m.final), 'no partial after the final')
})

t.test('keepalive: a client that never answers pings is closed; shutdown closes the rest with 1001', async (t) => {
  // Pings go out every 50 ms of real time; whether a pong is late is judged on a clock the test
  // moves, so a loaded machine answering slowly cannot close the healthy client.
  let now = 1_000_000
  const s = await startLiveService(t, { WS_PING_PERIOD_MS: 50, WS_PONG_TIMEOUT_MS: 200 }, { hubNow: () => now })
  const deaf = await Client.open(t, s.url, { autoPong: false })
  const healthy = await Client.open(t, s.url)
  let pongs = 0
  for (const socket of s.app.websocketServer.clients) socket.on('pong', () => { pongs++ })
  now += 150
  const seen = pongs
  // Only the healthy client answers; the hub's own pong listener ran first, at now + 150.
  await waitFor(() => pongs > seen, 30_000, 'a pong at the new time')
  t.equal(s.app.liveHub.stats().closed_pong_timeout_total, 0, '150 ms without a pong is within the timeout')
  now += 100
  t.equal(await deaf.closed(5000), 1001)
  t.equal(deaf.closeReason, 'pong timeout')
  // The sweep that closed the deaf client judged the healthy one too (last pong 100 ms ago).
  t.equal(s.app.liveHub.stats().closed_pong_timeout_total, 1, 'only the deaf client was closed')
  t.equal(healthy.closeCode, undefined, 'a client answering pings stays')
  await s.app.close()
  t.equal(await healthy.closed(), 1001, 'shutdown closes with 1001')
  t.equal(healthy.closeReason, 'server shutting down')
  t.ok([deaf.closeCode, healthy.closeCode].every((c) => SERVER_CLOSE_CODES.includes(c!)), 'never 1006')
})
