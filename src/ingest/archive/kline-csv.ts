// Binance public-archive kline CSVs (data.binance.vision): no header on spot files, the 12 REST
// columns, open time in milliseconds before 2025 and in microseconds from 2025.
import { basename } from 'node:path'
import { candleDefect, type Candle } from '../../domain/candle.js'
import { isInterval, type Interval } from '../../domain/intervals.js'

export interface ArchiveName {
  symbol: string
  interval: Interval
  /** YYYY-MM or YYYY-MM-DD. */
  period: string
}

/** `BTCUSDT-1m-2024-01.zip`, `ETHUSDT-1h-2025-03-07.csv`; month files say `1mo` for 1M. */
export function parseArchiveName (path: string): ArchiveName | undefined {
  const m = /^([A-Z0-9]+)-(\w+)-(\d{4}-\d{2}(?:-\d{2})?)\.(csv|zip)$/i.exec(basename(path))
  if (m === null) return undefined
  const interval = m[2] === '1mo' ? '1M' : m[2]
  if (!isInterval(interval)) return undefined
  return { symbol: m[1]!.toUpperCase(), interval, period: m[3]! }
}

export interface CsvParseResult {
  candles: Candle[]
  rows: number
  rejected: Map<string, number>
}

// Number('') is 0, which would turn an empty field into a price; empty must be invalid.
function num (s: string | undefined): number {
  return s === undefined || s.trim() === '' ? Number.NaN : Number(s)
}

function reject (out: CsvParseResult, reason: string): void {
  out.rejected.set(reason, (out.rejected.get(reason) ?? 0) + 1)
}

/**
 * Parses kline rows into candles, rejecting (and counting by reason) rows that are malformed or
 * fail candle validation. A leading header line, as in futures files, is skipped.
 */
export function parseKlineCsv (text: string, symbol: string, interval: Interval): CsvParseResult {
  const out: CsvParseResult = { candles: [], rows: 0, rejected: new Map() }
  let start = 0
  let first = true
  while (start < text.length) {
    let end = text.indexOf('\n', start)
    if (end === -1) end = text.length
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end)
    start = end + 1
    if (line.trim() === '') continue
    const f = line.split(',')
    if (first) {
      first = false
      if (!/^\d+$/.test(f[0]!.trim())) continue
    }
    out.rows++
    if (f.length < 6) {
      reject(out, 'fewer than 6 fields')
      continue
    }
    const raw = f[0]!.trim()
    if (!/^\d{12,17}$/.test(raw)) {
      reject(out, 'open time is not epoch milliseconds or microseconds')
      continue
    }
    const t = Number(raw)
    const candle: Candle = {
      symbol,
      interval,
      ts: raw.length >= 16 ? Math.floor(t / 1000) : t,
      open: num(f[1]),
      high: num(f[2]),
      low: num(f[3]),
      close: num(f[4]),
      volume: num(f[5])
    }
    const defect = candleDefect(candle)
    if (defect !== undefined) reject(out, defect)
    else out.candles.push(candle)
  }
  return out
}
