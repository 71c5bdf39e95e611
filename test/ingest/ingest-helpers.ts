// A live ingestor wired to the simulator on a stepped clock, plus a checker that compares the
// store with the simulator's ground truth candle by candle.
import type { Test } from 'tap'
import type { CandleTuple } from '../../src/domain/candle.js'
import { BinanceExchange, type BinanceExchangeOptions } from '../../src/exchange/binance/binance-exchange.js'
import { ManualClock, startSimulator, type Simulator, type SimulatorOptions } from '../../src/exchange/simulator/server.js'
import { LiveIngestor, type LiveIngestorOptions } from '../../src/ingest/live-ingestor.js'
import { InProcessLiveBus, type LiveMessage } from '../../src/live/live-bus.js'
import { silentLog } from '../../src/log.js'
import type { CandleStore } from '../../src/store/candle-store.js'
import { memoryStore, type Teardown } from '../helpers.js'

export const MIN = 60_000
export const DAY = 86_400_000
/** 2024-03-10T12:00:00Z; the simulator clock starts here. */
export const NOW = Date.UTC(2024, 2, 10, 12)

export async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

export async function waitFor (predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(10)
  }
}

export interface Harness {
  sim: Simulator
  clock: ManualClock
  store: CandleStore
  bus: InProcessLiveBus
  messages: LiveMessage[]
  exchange: BinanceExchange
  ingestor: LiveIngestor
}

export interface HarnessOptions {
  symbols?: string[]
  lookbackMs?: number
  sim?: SimulatorOptions
  ingestor?: Partial<LiveIngestorOptions>
  exchange?: Partial<BinanceExchangeOptions>
  store?: CandleStore
  start?: number
}

export async function startSim (t: Teardown, opts: SimulatorOptions = {}, start = NOW): Promise<{ sim: Simulator, clock: ManualClock }> {
  const clock = new ManualClock(start)
  const sim = await startSimulator({ host: '127.0.0.1', port: 0, clock, partialEveryMs: 2000, ...opts })
  t.teardown(() => sim.close())
  return { sim, clock }
}

/** Fast reconnects and short silence so fault tests take seconds, not minutes. */
export const FAST_EXCHANGE: Partial<BinanceExchangeOptions> = {
  silenceTimeoutMs: 600,
  backoffMinMs: 20,
  backoffMaxMs: 200,
  rest: { backoffBaseMs: 20, backoffMaxMs: 200, timeoutMs: 3000 }
}

export async function startHarness (t: Teardown, opts: HarnessOptions = {}): Promise<Harness> {
  const symbols = opts.symbols ?? ['BTCUSDT', 'ETHUSDT']
  const { sim, clock } = await startSim(t, opts.sim, opts.start)
  const store = opts.store ?? await memoryStore(t)
  const bus = new InProcessLiveBus()
  const messages: LiveMessage[] = []
  bus.subscribe((m) => messages.push(m))
  const exchange = new BinanceExchange({ restUrl: sim.restUrl, wsUrl: sim.wsUrl, log: silentLog, ...FAST_EXCHANGE, ...opts.exchange })
  const ingestor = new LiveIngestor({
    exchange,
    store,
    bus,
    symbols,
    lookbackMs: opts.lookbackMs ?? 3 * 60 * MIN,
    log: silentLog,
    retryMinMs: 20,
    retryMaxMs: 200,
    ...opts.ingestor
  })
  t.teardown(async () => {
    await exchange.close()
    await ingestor.stop()
  })
  return { sim, clock, store, bus, messages, exchange, ingestor }
}

export interface Comparison {
  expected: number
  stored: number
  missing: number[]
  extra: number[]
  wrong: number[]
}

/** Every stored 1m candle of `symbol` with open time in [from, to) against the simulator's truth. */
export async function compareWithTruth (store: CandleStore, sim: Simulator, symbol: string, from: number, to: number): Promise<Comparison> {
  const truth = new Map(sim.groundTruth(symbol, '1m', from, to).map((c) => [c.ts, [c.ts, c.open, c.high, c.low, c.close, c.volume]]))
  const stored: CandleTuple[] = []
  for (let cursor = from; cursor < to;) {
    const page = await store.getCandles({ symbol, interval: '1m', from: cursor, to: to - 1, limit: 5000 })
    stored.push(...page)
    if (page.length < 5000) break
    cursor = page[page.length - 1]![0] + MIN
  }
  const seen = new Set<number>()
  const out: Comparison = { expected: truth.size, stored: stored.length, missing: [], extra: [], wrong: [] }
  for (const row of stored) {
    seen.add(row[0])
    const want = truth.get(row[0])
    if (want === undefined) out.extra.push(row[0])
    else if (JSON.stringify(want) !== JSON.stringify(row)) out.wrong.push(row[0])
  }
  for (const ts of truth.keys()) if (!seen.has(ts)) out.missing.push(ts)
  return out
}

/**
 * Asserts that each symbol's stored 1m candles in [from, to) are exactly the simulator's truth:
 * `expected` of them (every minute when not given), none missing, none extra, none wrong.
 */
export async function expectTruth (t: Test, store: CandleStore, sim: Simulator, symbols: readonly string[], from: number, to: number, expected?: number): Promise<void> {
  for (const symbol of symbols) {
    const cmp = await compareWithTruth(store, sim, symbol, from, to)
    const want = expected ?? cmp.expected
    t.same({ expected: cmp.expected, stored: cmp.stored, missing: cmp.missing.length, extra: cmp.extra.length, wrong: cmp.wrong.length },
      { expected: want, stored: want, missing: 0, extra: 0, wrong: 0 }, `${symbol} equals the simulator's truth`)
  }
}

/** Steps the simulator clock one minute at a time, letting the stream deliver between steps. */
export async function stepMinutes (clock: ManualClock, n: number, pauseMs = 15): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock.advance(MIN)
    await sleep(pauseMs)
  }
}
