// Request paths for uncached reads: random windows inside a store's range, from a seeded PRNG so
// every run (and every store) is asked the same sequence.
import type { StoreInfo } from './datasets.js'
import { seededRandom } from './stats.js'

const MINUTE = 60_000
const INTERVAL_MS: Record<string, number> = { '1m': MINUTE, '1h': 60 * MINUTE, '1d': 1440 * MINUTE }

/** `from`/`to` spanning exactly `limit` 1m candles, anywhere in the stored two years. */
export function minuteWindows (store: StoreInfo, symbols: readonly string[], limit: number, seed = 1): () => string {
  const rand = seededRandom(seed)
  const minTo = store.firstTs + (limit - 1) * MINUTE
  const slots = Math.floor((store.lastTs - minTo) / MINUTE) + 1
  return () => {
    const symbol = symbols[Math.floor(rand() * symbols.length)]!
    const to = minTo + Math.floor(rand() * slots) * MINUTE
    return `/api/v1/candles?symbol=${symbol}&interval=1m&from=${to - (limit - 1) * MINUTE}&to=${to}&limit=${limit}`
  }
}

/**
 * The last `limit` roll-up bars at or before a random `to` (any minute), late enough that all
 * `limit` bars exist. A `to` makes the request bypass the latest-N cache.
 */
export function rollupWindows (store: StoreInfo, symbols: readonly string[], interval: '1h' | '1d', limit: number, seed = 1): () => string {
  const rand = seededRandom(seed)
  const minTo = store.firstTs + limit * INTERVAL_MS[interval]!
  const slots = Math.floor((store.lastTs - minTo) / MINUTE) + 1
  if (slots < 1) throw new Error(`the store holds fewer than ${limit} ${interval} bars`)
  return () => {
    const symbol = symbols[Math.floor(rand() * symbols.length)]!
    const to = minTo + Math.floor(rand() * slots) * MINUTE
    return `/api/v1/candles?symbol=${symbol}&interval=${interval}&to=${to}&limit=${limit}`
  }
}
