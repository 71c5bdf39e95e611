// TradingView resolution strings and the service's intervals: one resolution per interval served,
// so the Charting Library never builds bars itself and every bar is the /api/v1/candles bar.
import { INTERVALS, type Interval } from '../domain/intervals.js'

/** In /udf/config order; minutes for intraday, then day, week and month. */
export const UDF_RESOLUTIONS = ['1', '3', '5', '15', '30', '60', '120', '240', '360', '480', '720', '1D', '1W', '1M'] as const

export type UdfResolution = typeof UDF_RESOLUTIONS[number]

/** Resolution of each interval, index for index with INTERVALS. */
const BY_INTERVAL = new Map<Interval, UdfResolution>(INTERVALS.map((iv, i) => [iv, UDF_RESOLUTIONS[i]!]))

const TO_INTERVAL = new Map<string, Interval>(INTERVALS.map((iv, i) => [UDF_RESOLUTIONS[i]!, iv]))
// The library also spells one day, week and month without the leading 1.
TO_INTERVAL.set('D', '1d')
TO_INTERVAL.set('W', '1w')
TO_INTERVAL.set('M', '1M')

/** Intraday resolutions, all stored or rolled up here (SymbolInfo.intraday_multipliers). */
export const INTRADAY_RESOLUTIONS = UDF_RESOLUTIONS.filter((r) => /^\d+$/.test(r))

export function resolutionInterval (resolution: string): Interval | undefined {
  return TO_INTERVAL.get(resolution.trim().toUpperCase())
}

export function intervalResolution (interval: Interval): UdfResolution {
  return BY_INTERVAL.get(interval)!
}
