// Ground truth for tests and benchmarks: the candles a simulator with given settings serves once
// they have closed, computed without running one.
import type { Candle } from '../../domain/candle.js'
import type { Interval } from '../../domain/intervals.js'
import { Market, type MarketOptions } from './market.js'

// groundTruth() is called in loops by tests; reusing a Market keeps its aggregate cache warm.
const sharedMarkets = new Map<string, Market>()

function marketFor (seed: number, options: Omit<MarketOptions, 'seed'>): Market {
  const key = JSON.stringify([seed, options.listedAt ?? null, options.gaps ?? []])
  let market = sharedMarkets.get(key)
  if (market === undefined) {
    if (sharedMarkets.size >= 16) sharedMarkets.clear()
    market = new Market({ ...options, seed })
    sharedMarkets.set(key, market)
  }
  return market
}

/**
 * The complete candles of `symbol` at `interval` with open time in [from, to), exactly as the
 * simulator serves them once closed: gaps and pre-listing minutes are left out, and higher
 * intervals aggregate only the minutes that exist. Pass the simulator's listedAt/gaps when it was
 * started with non-default ones. Candles are returned regardless of any clock; a running
 * simulator only serves those closed by its current time.
 */
export function groundTruth (symbol: string, interval: Interval, from: number, to: number, seed = 1, options: Omit<MarketOptions, 'seed'> = {}): Candle[] {
  return marketFor(seed, options).closedKlines(symbol, interval, from, to).map(k => k.candle)
}
