// The export file formats: CSV in Binance's archive column order (what `tv-api import` reads back),
// NDJSON (one JSON object per line) and Parquet (written by the store), their content types and
// the file names that say what an export holds.
import type { CandleTuple } from '../domain/candle.js'
import { bucketCloseTime, type Interval } from '../domain/intervals.js'
import type { TimeRange } from '../store/candle-store.js'

export const EXPORT_FORMATS = ['csv', 'ndjson', 'parquet'] as const
export type ExportFormat = typeof EXPORT_FORMATS[number]

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  parquet: 'application/vnd.apache.parquet'
}

/**
 * Binance's kline archive columns. The service stores OHLCV only: quote volume, trade count and
 * the taker volumes are left empty (unknown, not zero); `ignore` is 0 as in Binance's files.
 */
export const CSV_COLUMNS = [
  'open_time', 'open', 'high', 'low', 'close', 'volume', 'close_time',
  'quote_volume', 'count', 'taker_buy_volume', 'taker_buy_quote_volume', 'ignore'
] as const

/**
 * A number as a plain decimal, the way Binance's files write prices: JavaScript's shortest
 * round-trip digits, without the exponent it uses below 1e-6 and from 1e21 (1.2e-7 is 0.00000012).
 */
export function plainNumber (n: number): string {
  const s = String(n)
  const e = s.indexOf('e')
  if (e === -1) return s
  const exp = Number(s.slice(e + 1))
  const negative = s.startsWith('-')
  const mantissa = s.slice(negative ? 1 : 0, e)
  const dot = mantissa.indexOf('.')
  const digits = mantissa.replace('.', '')
  const point = (dot === -1 ? mantissa.length : dot) + exp
  let out: string
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length)
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`
  return negative ? `-${out}` : out
}

export function csvHeader (): string {
  return `${CSV_COLUMNS.join(',')}\n`
}

/** CSV lines of a page of bars; the four unknown columns stay empty. */
export function csvLines (page: readonly CandleTuple[], interval: Interval): string {
  let out = ''
  for (const [ts, o, h, l, c, v] of page) {
    out += `${ts},${plainNumber(o)},${plainNumber(h)},${plainNumber(l)},${plainNumber(c)},${plainNumber(v)},${bucketCloseTime(interval, ts)},,,,,0\n`
  }
  return out
}

/** NDJSON lines of a page: `{"open_time","open","high","low","close","volume","close_time"}`. */
export function ndjsonLines (page: readonly CandleTuple[], interval: Interval): string {
  let out = ''
  for (const [ts, o, h, l, c, v] of page) {
    out += `{"open_time":${ts},"open":${o},"high":${h},"low":${l},"close":${c},"volume":${v},"close_time":${bucketCloseTime(interval, ts)}}\n`
  }
  return out
}

/** `2024-01-01` at midnight UTC, else `2024-01-01T1230` (seconds added when not whole minutes). */
function fileTime (ms: number): string {
  const iso = new Date(ms).toISOString()
  const day = iso.slice(0, 10)
  if (ms % 86_400_000 === 0) return day
  const seconds = iso.slice(17, 19)
  return `${day}T${iso.slice(11, 13)}${iso.slice(14, 16)}${seconds === '00' ? '' : seconds}`
}

export interface FileNameParts {
  symbol: string
  interval: Interval
  format: ExportFormat
  /** First and last bar held; undefined for an empty export. */
  span?: TimeRange
  /** The bounds asked for, named when the export is empty. */
  from?: number
  to?: number
}

/**
 * `BTCUSDT-1m-2024-01-01_2024-01-31T2359.csv`: symbol, interval (Binance's `1mo` for 1M), and the
 * open times (UTC) of the first and last bar held, in the archive naming that `tv-api import`
 * recognises. An empty export names the bounds asked for, or says `empty`.
 */
export function exportFileName (p: FileNameParts): string {
  const interval = p.interval === '1M' ? '1mo' : p.interval
  const first = p.span?.first ?? p.from
  const last = p.span?.last ?? p.to
  let range: string
  if (first !== undefined && last !== undefined) range = `${fileTime(first)}_${fileTime(last)}`
  else if (first !== undefined) range = `${fileTime(first)}_`
  else if (last !== undefined) range = `_${fileTime(last)}`
  else range = 'empty'
  return `${p.symbol}-${interval}-${range}.${p.format}`
}

export interface EncodeOptions {
  interval: Interval
  format: Exclude<ExportFormat, 'parquet'>
  /** CSV only: start with the column names (default true). */
  header?: boolean
  /** Called after each page with the rows encoded so far. */
  onRows?: (rows: number) => void
}

/** Encodes pages of bars as they arrive, one Buffer per page, so memory holds one page at a time. */
export async function * encodePages (pages: AsyncIterable<CandleTuple[]>, opts: EncodeOptions): AsyncGenerator<Buffer, void, undefined> {
  if (opts.format === 'csv' && opts.header !== false) yield Buffer.from(csvHeader())
  const lines = opts.format === 'csv' ? csvLines : ndjsonLines
  let rows = 0
  for await (const page of pages) {
    rows += page.length
    yield Buffer.from(lines(page, opts.interval))
    opts.onRows?.(rows)
  }
}
