import t from 'tap'
import { BinanceExchange } from '../../../src/exchange/binance/binance-exchange.js'
import { BinanceRestClient } from '../../../src/exchange/binance/rest-client.js'
import { ExchangeFatalError, ExchangeUnavailableError, type KlineEvent } from '../../../src/exchange/exchange.js'
import { silentLog } from '../../../src/log.js'
import { symbolModel } from '../../../src/exchange/simulator/price-model.js'
import { MIN, NOW, sleep, startSim, stepMinutes, waitFor } from '../../ingest/ingest-helpers.js'

const fast = { backoffBaseMs: 10, backoffMaxMs: 50, timeoutMs: 2000 }

t.test('REST: pages, exchange info and server time over the connector', async (t) => {
  const { sim } = await startSim(t)
  const rest = new BinanceRestClient(sim.restUrl, silentLog, fast)
  t.teardown(() => rest.close())
  t.equal(await rest.serverTime(), NOW)
  const page = await rest.klines('BTCUSDT', '1m', { startTime: NOW - 5 * MIN, endTime: NOW, limit: 1000 })
  t.equal(page.length, 6, 'inclusive bounds, the open bar included')
  t.same(page.map((k) => k.candle.ts), [5, 4, 3, 2, 1, 0].map((k) => NOW - k * MIN))
  t.equal(page[0]!.closeTime, NOW - 4 * MIN - 1)
  t.same(page[0]!.candle, sim.groundTruth('BTCUSDT', '1m', NOW - 5 * MIN, NOW - 4 * MIN)[0])
  // The price and quantity steps come from PRICE_FILTER and LOT_SIZE (the simulator's decimals).
  const step = (d: number) => Number((10 ** -d).toFixed(d))
  const steps = (symbol: string) => ({ tickSize: step(symbolModel(symbol).priceDecimals), stepSize: step(symbolModel(symbol).volumeDecimals) })
  t.same(await rest.exchangeInfo(['BTCUSDT', 'ETHUSDT']), [
    { symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', status: 'TRADING', ...steps('BTCUSDT') },
    { symbol: 'ETHUSDT', base: 'ETH', quote: 'USDT', status: 'TRADING', ...steps('ETHUSDT') }
  ])
  t.ok(rest.usedWeight > 0, 'X-MBX-USED-WEIGHT-1M is read')
})

t.test('REST: errors that retrying cannot fix are not retried', async (t) => {
  const { sim } = await startSim(t)
  const rest = new BinanceRestClient(sim.restUrl, silentLog, fast)
  t.teardown(() => rest.close())
  await t.rejects(rest.klines('NOPEUSDT', '1m', { limit: 10 }), { name: 'ExchangeFatalError', code: -1121, message: /Invalid symbol/ })
  sim.faults.restFailures({ status: 451, count: 5 })
  const err = await rest.serverTime().catch((e: unknown) => e)
  t.ok(err instanceof ExchangeFatalError && err.status === 451)
  t.match((err as Error).message, /refuses this location/)
  t.equal(sim.requests.filter((r) => r.status === 451).length, 1)
})

t.test('REST: 5xx and timeouts are retried with capped back-off, then reported', async (t) => {
  const { sim } = await startSim(t)
  const rest = new BinanceRestClient(sim.restUrl, silentLog, { ...fast, maxAttempts: 3, timeoutMs: 150 })
  t.teardown(() => rest.close())
  sim.faults.restFailures({ status: 500, count: 2 })
  t.equal(await rest.serverTime(), NOW, 'two 500s then success')
  sim.faults.restFailures({ status: 503, count: 10 })
  await t.rejects(rest.serverTime(), ExchangeUnavailableError)
  t.equal(sim.requests.filter((r) => r.status === 503).length, 3, 'exactly maxAttempts tries')
  sim.faults.reset()
  sim.faults.restDelayMs(400)
  await t.rejects(rest.serverTime(), { message: /gave up after 3 attempts/ }, 'request timeouts count as failures')
  sim.faults.restDelayMs(0)
  t.equal(await rest.serverTime(), NOW, 'recovers')
})

t.test('REST: 429 pauses every call for Retry-After; high weight pauses until the next minute', async (t) => {
  const { sim } = await startSim(t, { weightLimitPerMinute: 100 })
  // The pause runs on a clock the test holds: sleeps are recorded and end when the test says.
  let now = 1_000_000
  const sleeps: Array<{ ms: number, end: () => void }> = []
  const timers = { now: () => now, sleep: async (ms: number) => await new Promise<void>((resolve) => { sleeps.push({ ms, end: resolve }) }) }
  const rest = new BinanceRestClient(sim.restUrl, silentLog, { ...fast, weightLimit: 100 }, undefined, timers)
  t.teardown(() => rest.close())
  sim.faults.restFailures({ status: 429, count: 1, retryAfterSec: 1 })
  const a = rest.serverTime()
  await waitFor(() => sleeps.length === 1, 30_000, 'the pause after the 429')
  const b = rest.serverTime()
  await waitFor(() => sleeps.length === 2, 30_000, 'the call made during the pause to wait too')
  t.same(sleeps.map((s) => s.ms), [1000, 1000], 'both wait out Retry-After (1 s)')
  t.equal(sim.requests.filter((r) => r.status !== 429).length, 0, 'nothing is sent during the pause')
  now += 1000
  for (const s of sleeps) s.end()
  await Promise.all([a, b])
  const limitedAt = sim.requests.findIndex((r) => r.status === 429)
  t.equal(sim.requests.slice(limitedAt + 1).length, 2, 'then the retry and the later call')

  const weighed = new BinanceRestClient(sim.restUrl, silentLog, { ...fast, weightLimit: 100 })
  t.teardown(() => weighed.close())
  for (let i = 0; i < 40 && weighed.pausedUntil < Date.now(); i++) await weighed.klines('BTCUSDT', '1m', { limit: 1 })
  t.ok(weighed.usedWeight >= 80, `weight ${weighed.usedWeight} reached 80% of the limit`)
  t.ok(weighed.pausedUntil > Date.now(), 'calls now wait for the next weight window')
  t.ok(weighed.pausedUntil <= Math.ceil(Date.now() / 60_000) * 60_000 + 1000)
})

t.test('stream: one connection for every stream; reconnects restore them all', async (t) => {
  const { sim, clock } = await startSim(t)
  const exchange = new BinanceExchange({ restUrl: sim.restUrl, wsUrl: sim.wsUrl, log: silentLog, backoffMinMs: 20, backoffMaxMs: 100 })
  t.teardown(() => exchange.close())
  const events: KlineEvent[] = []
  let opens = 0
  const stream = exchange.klineStream([{ symbol: 'BTCUSDT', interval: '1m' }, { symbol: 'ETHUSDT', interval: '1m' }], {
    onKline: (e) => events.push(e),
    onOpen: () => { opens++ },
    onClose: () => {},
    onBadMessage: () => {}
  })
  await waitFor(() => stream.state === 'open')
  t.equal(sim.connections(), 1, 'a single connection')
  await stepMinutes(clock, 1)
  await waitFor(() => new Set(events.map((e) => e.candle.symbol)).size === 2, 30_000, 'both symbols')
  const closed = events.filter((e) => e.closed)
  t.same(closed.map((e) => e.candle.symbol).sort(), ['BTCUSDT', 'ETHUSDT'])
  t.same(closed[0]!.candle, sim.groundTruth(closed[0]!.candle.symbol, '1m', NOW, NOW + MIN)[0], 'a final event carries the closed candle')

  for (let round = 1; round <= 2; round++) {
    sim.faults.dropStreams()
    await waitFor(() => opens === round + 1, 5000, `reconnect ${round}`)
    events.length = 0
    await stepMinutes(clock, 1)
    await waitFor(() => new Set(events.filter((e) => e.closed).map((e) => e.candle.symbol)).size === 2, 30_000, 'both streams after reconnect')
  }
  t.equal(stream.reconnectAttempts, 2)
  t.equal(sim.connections(), 1)
})

t.test('stream: pings are answered, silence is death, stop cancels a pending reconnect', async (t) => {
  const { sim } = await startSim(t, { pingIntervalMs: 30, pongTimeoutMs: 150 })
  const exchange = new BinanceExchange({ restUrl: sim.restUrl, wsUrl: sim.wsUrl, log: silentLog, silenceTimeoutMs: 400, backoffMinMs: 200, backoffMaxMs: 400 })
  const handlers = { onKline: () => {}, onOpen: () => {}, onClose: () => {}, onBadMessage: () => {} }
  const stream = exchange.klineStream([{ symbol: 'BTCUSDT', interval: '1m' }], handlers)
  await waitFor(() => stream.state === 'open')
  await sleep(300)
  t.equal(stream.reconnectAttempts, 0, 'pongs keep the simulator from dropping us')
  sim.faults.stall(true)
  await waitFor(() => stream.reconnectAttempts >= 1, 30_000, 'silence detected')
  await exchange.close()
  const attempts = stream.reconnectAttempts
  const connections = sim.connections()
  await sleep(600)
  t.equal(stream.reconnectAttempts, attempts, 'no reconnect after stop')
  t.ok(sim.connections() <= connections)
  t.equal(stream.state, 'closed')
})

t.test('stream: back-off grows from the minimum to the cap while the exchange is down', async (t) => {
  const { sim } = await startSim(t)
  const url = sim.wsUrl
  await sim.close()
  const delays: number[] = []
  const exchange = new BinanceExchange({ restUrl: sim.restUrl, wsUrl: url, log: silentLog, backoffMinMs: 20, backoffMaxMs: 160 })
  t.teardown(() => exchange.close())
  exchange.klineStream([{ symbol: 'BTCUSDT', interval: '1m' }], {
    onKline: () => {}, onOpen: () => {}, onBadMessage: () => {}, onClose: (info) => delays.push(info.reconnectInMs)
  })
  await waitFor(() => delays.length >= 6, 10_000, 'several attempts')
  t.ok(delays[0]! >= 10 && delays[0]! <= 20, `first delay ${delays[0]}`)
  t.ok(delays.slice(4).every((d) => d >= 80 && d <= 160), `capped with jitter: ${delays.join(',')}`)
})
