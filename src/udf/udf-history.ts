// /udf/history: bars in [from, to) (seconds) or the `countback` bars before `to`, through the same
// store reads as /api/v1/candles, so native and rolled-up intervals give the same bars there and here.
import type { CandleTuple } from '../domain/candle.js'
import type { Interval } from '../domain/intervals.js'
import type { CandleQuery } from '../store/candle-store.js'
import { UDF_RESOLUTIONS, resolutionInterval } from './resolutions.js'
import { udfBadRequest } from './udf-error.js'

/** Seconds from here on are milliseconds sent by mistake (year 5138). */
const MAX_SECONDS = 1e11

export interface UdfHistoryRequest {
  symbol: string
  resolution?: string
  from?: number
  to?: number
  countback?: number
}

export type UdfHistory =
  | { s: 'ok', t: number[], o: number[], h: number[], l: number[], c: number[], v: number[] }
  | { s: 'no_data', nextTime?: number }

function seconds (value: number | undefined, param: string, required: boolean): number | undefined {
  if (value === undefined) {
    if (required) throw udfBadRequest(`${param} is required: a time in seconds`)
    return undefined
  }
  if (!Number.isSafeInteger(value) || value < 0) throw udfBadRequest(`${param} must be a non-negative integer time in seconds (got ${value})`)
  if (value >= MAX_SECONDS) throw udfBadRequest(`${param} must be in seconds, not milliseconds (got ${value})`)
  return value
}

export function parseResolution (resolution: string | undefined): Interval {
  if (resolution === undefined || resolution === '') throw udfBadRequest(`resolution is required; one of ${UDF_RESOLUTIONS.join(' ')}`)
  const interval = resolutionInterval(resolution)
  if (interval === undefined) throw udfBadRequest(`resolution "${resolution}" is not supported; one of ${UDF_RESOLUTIONS.join(' ')}`)
  return interval
}

function columns (bars: readonly CandleTuple[]): UdfHistory {
  const out = { s: 'ok' as const, t: [] as number[], o: [] as number[], h: [] as number[], l: [] as number[], c: [] as number[], v: [] as number[] }
  for (const b of bars) {
    out.t.push(b[0] / 1000)
    out.o.push(b[1])
    out.h.push(b[2])
    out.l.push(b[3])
    out.c.push(b[4])
    out.v.push(b[5])
  }
  return out
}

/**
 * The bars of one history request, ascending. With `countback` the newest `countback` bars opening
 * before `to`, whatever `from` says; otherwise the bars opening in [from, to). At most `maxBars`
 * (HTTP_MAX_LIMIT), the newest kept, so the library asks again before the first one it got.
 * Nothing in range: `no_data` with `nextTime`, the open of the newest bar before `to`, so the
 * library jumps over a gap, or without it before the first stored bar, so the library stops asking.
 */
/** A store read: the candles route's, with its query timeout and cancellation. */
export type CandleReader = (q: CandleQuery) => Promise<CandleTuple[]>

export async function udfHistory (read: CandleReader, symbol: string, req: UdfHistoryRequest, maxBars: number): Promise<UdfHistory> {
  const interval = parseResolution(req.resolution)
  const to = seconds(req.to, 'to', true)! * 1000
  if (req.countback !== undefined && (!Number.isSafeInteger(req.countback) || req.countback < 1)) {
    throw udfBadRequest(`countback must be an integer of at least 1 (got ${req.countback})`)
  }
  const countback = req.countback
  const from = seconds(req.from, 'from', countback === undefined)
  if (countback === undefined && from! * 1000 > to) throw udfBadRequest(`from (${from}) is after to (${req.to})`)
  // `to` is exclusive; the store's upper bound is inclusive and times are whole milliseconds.
  const last = to - 1
  let bars: CandleTuple[] = []
  if (last >= 0) {
    if (countback !== undefined) {
      bars = await read({ symbol, interval, to: last, limit: Math.min(countback, maxBars) })
    } else if (from! * 1000 <= last) {
      const range = { symbol, interval, from: from! * 1000, to: last }
      bars = await read({ ...range, limit: maxBars })
      // A full page may be the oldest part of a longer range; the library wants the newest part.
      if (bars.length === maxBars) bars = await read({ symbol, interval, to: last, limit: maxBars })
    }
  }
  if (bars.length > 0) return columns(bars)
  const before = last >= 0 ? await read({ symbol, interval, to: last, limit: 1 }) : []
  return before.length > 0 ? { s: 'no_data', nextTime: before[0]![0] / 1000 } : { s: 'no_data' }
}
