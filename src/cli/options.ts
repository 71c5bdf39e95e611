// Parsing of subcommand options (symbol lists, interval lists, points in time); a bad value is a
// UsageError, reported like a bad setting: one line, exit code 2.
import { INTERVALS, isInterval, type Interval } from '../domain/intervals.js'
import { normalizeSymbol } from '../domain/symbols.js'
import { parseTimePoint } from '../domain/time.js'
import { UsageError } from './command.js'

/** Comma-separated items, trimmed, without empties or repeats, each checked by `parse`. */
function parseList<T> (text: string, option: string, what: string, parse: (raw: string) => T | undefined): T[] {
  const out: T[] = []
  for (const raw of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const v = parse(raw)
    if (v === undefined) throw new UsageError(`invalid value "${raw}" for --${option}: not ${what}`)
    if (!out.includes(v)) out.push(v)
  }
  if (out.length === 0) throw new UsageError(`--${option} needs at least one value`)
  return out
}

export function parseSymbolList (text: string, option: string): string[] {
  return parseList(text, option, 'a symbol (e.g. BTCUSDT)', normalizeSymbol)
}

export function parseIntervalList (text: string, option: string): Interval[] {
  return parseList(text, option, `a Binance interval (${INTERVALS.join(' ')})`, (raw) => isInterval(raw) ? raw : undefined)
}

const DAY = 86_400_000

/**
 * `--to` of every command: the last open time included, as in the REST API; a date alone means
 * through the end of that day (UTC), so `--from 2024-01-01 --to 2024-01-31` is all of January.
 */
export function parseEndOption (text: string | undefined, option: string, fallback: number, now: number): number {
  if (text === undefined) return fallback
  const ms = parseTimeOption(text, option, fallback, now)
  return /^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? ms + DAY - 1 : ms
}

export function parseTimeOption (text: string | undefined, option: string, fallback: number, now: number): number {
  if (text === undefined) return fallback
  const ms = parseTimePoint(text, now)
  if (ms === undefined) throw new UsageError(`invalid value "${text}" for --${option}: use YYYY-MM-DD, an ISO date-time, epoch seconds/ms or now, from 1970-01-01 to 9999-12-31`)
  return ms
}
