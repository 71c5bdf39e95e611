// Binance public-archive kline files (data.binance.vision): what their names say and whether a
// file starts with a header line (spot files have none, futures files gained one in 2022).
import { basename } from 'node:path'
import { isInterval, type Interval } from '../../domain/intervals.js'

export interface ArchiveName {
  symbol: string
  interval: Interval
  /** YYYY-MM or YYYY-MM-DD, or an export's FIRST_LAST range. */
  period: string
}

// A day, optionally with the time of the first or last bar (`2024-01-31T2359`), as in the file
// names of GET /api/v1/export and tv-api export.
const RANGE_END = String.raw`\d{4}-\d{2}-\d{2}(?:T\d{4}(?:\d{2})?)?`
const ARCHIVE_NAME = new RegExp(String.raw`^([A-Z0-9]+)-(\w+)-(\d{4}-\d{2}(?:-\d{2})?|${RANGE_END}_${RANGE_END})\.(csv|zip)$`, 'i')

/**
 * `BTCUSDT-1m-2024-01.zip`, `ETHUSDT-1h-2025-03-07.csv`; month files say `1mo` for 1M. Exports
 * of this service name a range: `BTCUSDT-1m-2024-01-01_2024-01-31T2359.csv`.
 */
export function parseArchiveName (path: string): ArchiveName | undefined {
  const m = ARCHIVE_NAME.exec(basename(path))
  if (m === null) return undefined
  const interval = m[2] === '1mo' ? '1M' : m[2]
  if (!isInterval(interval)) return undefined
  return { symbol: m[1]!.toUpperCase(), interval, period: m[3]! }
}

/** True when the first line of a kline CSV is a header (its first field is not a number). */
export function startsWithHeader (head: string): boolean {
  const firstLine = head.slice(0, head.indexOf('\n') === -1 ? head.length : head.indexOf('\n'))
  const field = firstLine.split(',')[0]!.trim()
  return field !== '' && !/^\d+$/.test(field)
}
