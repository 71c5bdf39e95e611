// Parsing of the time values clients and operators type: epoch seconds or milliseconds, dates,
// and short durations such as `90m` or `3d`, and the range of times the service represents.
import { daysFromCivil, daysInMonth } from './calendar.js'

/** Epoch values below this are taken as seconds (1e12 ms is September 2001). */
export const SECONDS_CUTOFF = 1e12

/** Epoch seconds or milliseconds to milliseconds. */
export function toEpochMs (value: number): number {
  return value > 0 && value < SECONDS_CUTOFF ? value * 1000 : value
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000
}

/** `90m`, `3d`, `12h`, `2w`, `30s`, `500ms` to milliseconds; undefined when malformed. */
export function parseDuration (text: string): number | undefined {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(text.trim())
  if (m === null) return undefined
  const ms = Number(m[1]) * DURATION_UNITS[m[2]!]!
  return Number.isSafeInteger(ms) ? ms : undefined
}

/**
 * The times the service represents: 1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z, in
 * epoch ms. Every time a client or operator gives is checked against it, and bucket math is
 * defined over all of it (JavaScript's Date alone would end at 8.64e15 ms, mid-year 275760).
 */
export const TIME_MIN_MS = 0
export const TIME_MAX_MS = 253_402_300_799_999

export const TIME_RANGE_TEXT = `${TIME_MIN_MS} (1970-01-01T00:00:00Z) to ${TIME_MAX_MS} (9999-12-31T23:59:59.999Z) in epoch ms`

export function inTimeRange (ms: number): boolean {
  return ms >= TIME_MIN_MS && ms <= TIME_MAX_MS
}

/** A time clamped into the range; NaN has no place in it and is a RangeError. */
export function clampTime (ms: number): number {
  if (Number.isNaN(ms)) throw new RangeError('a time is NaN')
  return Math.min(Math.max(ms, TIME_MIN_MS), TIME_MAX_MS)
}

const ISO_PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})?)?$/

/** Milliseconds east of UTC of `Z`, `+02:00`, `-0530`; undefined when not a real offset. */
function offsetMs (zone: string | undefined): number | undefined {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0
  const hours = Number(zone.slice(1, 3))
  const minutes = Number(zone.slice(-2))
  if (hours > 23 || minutes > 59) return undefined
  return (zone[0] === '-' ? -1 : 1) * (hours * 3_600_000 + minutes * 60_000)
}

function parseIso (text: string): number | undefined {
  const m = ISO_PATTERN.exec(text)
  if (m === null) return undefined
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)]
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  const offset = offsetMs(m[8])
  if (offset === undefined) return undefined
  // Finer than milliseconds is cut, not rounded, so a time never moves into the next millisecond.
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3))
  return daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms - offset
}

/**
 * A time as clients and operators type it: epoch seconds or milliseconds (digits only; values
 * below 1e12 are seconds), an ISO-8601 date `2024-01-01` (UTC midnight) or date-time
 * `2024-01-01T12:00:00Z` (seconds, fractions and offsets optional; no offset is UTC).
 * Undefined when malformed; a well-formed time outside the range is returned as is, so callers
 * can tell the two apart with inTimeRange.
 */
export function parseTimestamp (text: string): number | undefined {
  if (/^\d+$/.test(text)) return toEpochMs(Number(text))
  return parseIso(text)
}

/**
 * A point in time for command-line options: `now` or anything parseTimestamp reads, within the
 * range. `nowMs` is injected so callers decide whose clock "now" is.
 */
export function parseTimePoint (text: string, nowMs: number): number | undefined {
  const t = text.trim()
  if (t === 'now') return nowMs
  const ms = parseTimestamp(t)
  return ms !== undefined && inTimeRange(ms) ? ms : undefined
}

export function isoUtc (ms: number): string {
  return new Date(ms).toISOString()
}
