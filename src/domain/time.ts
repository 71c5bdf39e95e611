// Parsing of the time values clients and operators type: epoch seconds or milliseconds, dates,
// and short durations such as `90m` or `3d`.

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
 * A point in time for command-line options: `now`, `YYYY-MM-DD` (UTC midnight), an ISO date-time,
 * or epoch seconds/milliseconds. `nowMs` is injected so callers decide whose clock "now" is.
 */
export function parseTimePoint (text: string, nowMs: number): number | undefined {
  const t = text.trim()
  if (t === 'now') return nowMs
  if (/^\d+$/.test(t)) return toEpochMs(Number(t))
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
    const ms = Date.parse(`${t}T00:00:00Z`)
    return Number.isNaN(ms) ? undefined : ms
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(t)) {
    const ms = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(t) ? t : `${t}Z`)
    return Number.isNaN(ms) ? undefined : ms
  }
  return undefined
}

export function isoUtc (ms: number): string {
  return new Date(ms).toISOString()
}
