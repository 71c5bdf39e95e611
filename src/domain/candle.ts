import { isAligned, type Interval } from './intervals.js'
import { TIME_MAX_MS } from './time.js'

/** One OHLCV bar. `ts` is the open time in epoch milliseconds, UTC. */
export interface Candle {
  symbol: string
  interval: Interval
  ts: number
  open: number
  high: number
  low: number
  close: number
  volume: number
}

/** The wire form used by REST and WS: [ts, open, high, low, close, volume]. */
export type CandleTuple = [number, number, number, number, number, number]

export function toTuple (c: Candle): CandleTuple {
  return [c.ts, c.open, c.high, c.low, c.close, c.volume]
}

export function fromTuple (symbol: string, interval: Interval, t: CandleTuple): Candle {
  return { symbol, interval, ts: t[0], open: t[1], high: t[2], low: t[3], close: t[4], volume: t[5] }
}

/**
 * Why a candle must not be stored, or undefined when it is sound. Checked on every candle that
 * enters the service (REST pages, stream events, archive files) so the store only holds bars a
 * chart can draw.
 */
export function candleDefect (c: Candle): string | undefined {
  if (!Number.isSafeInteger(c.ts) || c.ts < 0) return 'open time is not a non-negative integer'
  if (c.ts > TIME_MAX_MS) return 'open time is after 9999-12-31, the end of the supported time range'
  if (!isAligned(c.interval, c.ts)) return `open time is not aligned to ${c.interval}`
  for (const key of ['open', 'high', 'low', 'close', 'volume'] as const) {
    const v = c[key]
    if (typeof v !== 'number' || !Number.isFinite(v)) return `${key} is not a finite number`
    if (v < 0) return `${key} is negative`
  }
  if (c.high < Math.max(c.open, c.close)) return 'high is below open or close'
  if (c.low > Math.min(c.open, c.close)) return 'low is above open or close'
  return undefined
}
