// The export parameters (symbol, interval, range, format) and the size rules every entry point
// shares: the HTTP route and `tv-api export`.
import { bucketsBetween, type Interval } from '../domain/intervals.js'
import { TIME_RANGE_TEXT, inTimeRange, parseTimestamp } from '../domain/time.js'
import { parseBoolean } from '../domain/boolean-words.js'
import { badRequest } from '../query/api-error.js'
import { INTERVAL_LIST, parseInterval, requireSymbol } from '../query/candle-request.js'
import type { CandleRange, TimeRange } from '../store/candle-store.js'
import { EXPORT_FORMATS, type ExportFormat } from './export-format.js'

export interface RawExportParams {
  symbol?: string
  interval?: string
  from?: number | string
  to?: number | string
  format?: string
  header?: string
}

export interface ExportRequest extends CandleRange {
  format: ExportFormat
  /** CSV: start with the column names. */
  header: boolean
}

function time (value: number | string | undefined, param: 'from' | 'to'): number | undefined {
  if (value === undefined || value === '') return undefined
  const ms = parseTimestamp(String(value))
  if (ms === undefined) {
    throw badRequest('time_range_invalid', `${param} must be epoch seconds or milliseconds (digits only) or an ISO-8601 date or date-time such as 2024-01-01 or 2024-01-01T12:00:00Z (got "${value}")`)
  }
  if (!inTimeRange(ms)) throw badRequest('time_range_invalid', `${param} is outside the supported range ${TIME_RANGE_TEXT} (got "${value}")`)
  return ms
}

/** Validates and normalises export parameters; throws ApiError(400) naming the parameter. */
export function resolveExportRequest (raw: RawExportParams): ExportRequest {
  const symbol = requireSymbol(raw.symbol)
  if (raw.interval === undefined || raw.interval === '') throw badRequest('interval_invalid', `interval is required; one of ${INTERVAL_LIST}`)
  const interval: Interval | undefined = parseInterval(raw.interval)
  if (interval === undefined) throw badRequest('interval_invalid', `interval "${raw.interval}" is not a valid interval; one of ${INTERVAL_LIST}`)
  const from = time(raw.from, 'from')
  const to = time(raw.to, 'to')
  if (from !== undefined && to !== undefined && from > to) throw badRequest('time_range_invalid', `from (${from}) is after to (${to})`)
  const format = raw.format === undefined || raw.format === '' ? 'csv' : raw.format.toLowerCase()
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw badRequest('format_invalid', `format "${raw.format}" is not an export format; one of ${EXPORT_FORMATS.join(', ')}`)
  }
  let header = true
  if (raw.header !== undefined && raw.header !== '') {
    const b = parseBoolean(raw.header)
    if (b === undefined) throw badRequest('invalid_parameter', `header must be true or false (got "${raw.header}")`)
    header = b
  }
  return { symbol, interval, from, to, format: format as ExportFormat, header }
}

/** Bars a span holds at most (exactly, when the stored data has no gaps). */
export function barsInSpan (interval: Interval, span: TimeRange | undefined): number {
  return span === undefined ? 0 : bucketsBetween(interval, span.first, span.last) + 1
}

/**
 * What an export costs against the rate limit, in requests: one per `candlesPerRequest` bars,
 * at least one (the request itself).
 */
export function exportCost (bars: number, candlesPerRequest: number): number {
  return Math.max(1, Math.ceil(bars / candlesPerRequest))
}
