// The bus's wire form over Redis: one JSON text per message, encoded once when published and
// decoded once per receiving process. What arrives from Redis is checked before anything acts on
// it, since any client of the server can publish on the channel.
import { candleDefect, type Candle } from '../domain/candle.js'
import { isInterval } from '../domain/intervals.js'
import type { SeriesRange } from '../store/candle-store.js'
import type { LiveMessage, WriteNotice } from './live-bus.js'

/** Everything that travels on the channel. */
export type BusPayload =
  | LiveMessage
  | ({ type: 'write' } & WriteNotice)
  /** A publisher failed to publish; every replica recovers what it may have missed. */
  | { type: 'gap' }

export interface BusEnvelope {
  /** The publishing process's bus id, so a process can tell its own write notices. */
  origin: string
  payload: BusPayload
}

export function encodeBusMessage (origin: string, payload: BusPayload): string {
  return JSON.stringify({ o: origin, m: payload })
}

/** The envelope, or undefined when the text is not a sound bus message. */
export function decodeBusMessage (text: string): BusEnvelope | undefined {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!isObject(raw) || typeof raw.o !== 'string' || !isObject(raw.m)) return undefined
  const payload = checkPayload(raw.m)
  return payload === undefined ? undefined : { origin: raw.o, payload }
}

function checkPayload (m: Record<string, unknown>): BusPayload | undefined {
  switch (m.type) {
    case 'candle': {
      if (typeof m.final !== 'boolean' || !isObject(m.candle)) return undefined
      const candle = checkCandle(m.candle)
      return candle === undefined ? undefined : { type: 'candle', candle, final: m.final }
    }
    case 'resync_done':
      if (!isInterval(m.interval) || !isSymbolList(m.symbols)) return undefined
      return { type: 'resync_done', interval: m.interval, symbols: m.symbols }
    case 'write': {
      if (!isSymbolList(m.symbols) || !Array.isArray(m.ranges)) return undefined
      const ranges: SeriesRange[] = []
      for (const r of m.ranges as unknown[]) {
        if (!isObject(r) || !isSymbol(r.symbol) || !isInterval(r.interval) || !isTime(r.first) || !isTime(r.last) || r.first > r.last) return undefined
        ranges.push({ symbol: r.symbol, interval: r.interval, first: r.first, last: r.last })
      }
      return { type: 'write', symbols: m.symbols, ranges }
    }
    case 'gap':
      return { type: 'gap' }
    default:
      return undefined
  }
}

function checkCandle (c: Record<string, unknown>): Candle | undefined {
  if (!isSymbol(c.symbol) || !isInterval(c.interval)) return undefined
  const candle = { symbol: c.symbol, interval: c.interval, ts: c.ts, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume } as Candle
  return candleDefect(candle) === undefined ? candle : undefined
}

function isObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isSymbol (v: unknown): v is string {
  return typeof v === 'string' && v !== '' && v.length <= 64
}

function isSymbolList (v: unknown): v is string[] {
  return Array.isArray(v) && v.every(isSymbol)
}

function isTime (v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0
}
