// Which streams a WebSocket upgrade asks for: the /ws, /ws/<stream> and /stream?streams=... URL
// forms, their timeUnit, and the kline stream names inside them.
import { isInterval, type Interval } from '../../domain/intervals.js'
import { timeUnitScale, type TimeScale } from './wire.js'

export interface StreamTarget {
  /** Wrap every event as {stream, data} (the /stream endpoint). */
  combined: boolean
  streams: string[]
  timeScale: TimeScale
}

export type StreamUrlResult =
  | { ok: true, target: StreamTarget }
  | { ok: false, status: 400 | 404, reason: string }

/** Parses an upgrade request URL: /ws, /ws/<stream>, /stream?streams=a/b[&timeUnit=...]. */
export function parseStreamUrl (rawUrl: string): StreamUrlResult {
  const url = new URL(rawUrl, 'http://simulator.invalid')
  const unit = url.searchParams.get('timeUnit')
  const timeScale = unit === null ? 1 : timeUnitScale(unit)
  if (timeScale === undefined) return { ok: false, status: 400, reason: `Invalid timeUnit ${unit}` }
  const path = url.pathname
  if (path === '/ws' || path === '/ws/') return { ok: true, target: { combined: false, streams: [], timeScale } }
  if (path.startsWith('/ws/')) return { ok: true, target: { combined: false, streams: [decodeURIComponent(path.slice(4))], timeScale } }
  if (path === '/stream' || path === '/stream/') {
    // Read `streams` by hand: URLSearchParams would turn the '+' of an @+08:00 suffix into a space.
    const pair = url.search.slice(1).split('&').find(p => p.startsWith('streams='))
    const list = pair === undefined ? '' : decodeURIComponent(pair.slice('streams='.length))
    return { ok: true, target: { combined: true, streams: list.split('/').filter(s => s !== ''), timeScale } }
  }
  return { ok: false, status: 404, reason: `No stream endpoint at ${path}` }
}

/**
 * `<lowercase symbol>@kline_<interval>` to its parts; undefined for every other stream name. The
 * interval is case-sensitive (1M is a month) and upper-case symbols are not stream names.
 */
export function parseStreamName (name: string): { symbol: string, interval: Interval } | undefined {
  const m = /^([a-z0-9]+)@kline_([0-9]+[a-zA-Z])$/.exec(name)
  if (m === null || !isInterval(m[2])) return undefined
  return { symbol: m[1]!.toUpperCase(), interval: m[2] }
}
