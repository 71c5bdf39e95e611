// The /ws protocol (README, "Live feed"): what the server sends, and parsing of what clients send. The
// original front end sends {event:"subscribe",symbol,interval} and reads {type:"candle",...}.
import type { CandleTuple } from '../domain/candle.js'
import { INTERVALS, isInterval, type Interval } from '../domain/intervals.js'
import { normalizeSymbol } from '../domain/symbols.js'

export const PROTOCOL_VERSION = 1

export type ServerMessage =
  | { type: 'welcome', event: 'welcome', version: number, intervals: readonly Interval[] }
  | { type: 'candle', symbol: string, interval: Interval, data: CandleTuple, final: boolean }
  | { type: 'snapshot', symbol: string, interval: Interval, data: CandleTuple[] }
  | { type: 'resync_done', interval: Interval, symbols: string[] }
  | { type: 'subscribed' | 'unsubscribed', symbol: string, interval: Interval }
  | { type: 'pong' }
  | { type: 'error', error: string, message: string }

export const WELCOME = JSON.stringify({ type: 'welcome', event: 'welcome', version: PROTOCOL_VERSION, intervals: INTERVALS })

export function candleMessage (symbol: string, interval: Interval, data: CandleTuple, final: boolean): string {
  return JSON.stringify({ type: 'candle', symbol, interval, data, final })
}

export function errorMessage (error: string, message: string): string {
  return JSON.stringify({ type: 'error', error, message })
}

export type ClientRequest =
  | { kind: 'subscribe', symbol: string, interval: Interval, snapshot?: number }
  | { kind: 'unsubscribe', symbol: string, interval: Interval }
  | { kind: 'ping' }

export type ParseResult = { ok: true, request: ClientRequest } | { ok: false, error: string, message: string }

const fail = (error: string, message: string): ParseResult => ({ ok: false, error, message })

/** One client text frame; `event` or `type` names the action. */
export function parseClientMessage (text: string): ParseResult {
  let msg: unknown
  try {
    msg = JSON.parse(text)
  } catch {
    return fail('invalid_json', 'messages must be JSON, e.g. {"event":"subscribe","symbol":"BTCUSDT","interval":"1m"}')
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return fail('invalid_message', 'a message must be a JSON object')
  const m = msg as Record<string, unknown>
  const action = m.event ?? m.type
  if (action === 'ping') return { ok: true, request: { kind: 'ping' } }
  if (action !== 'subscribe' && action !== 'unsubscribe') {
    return fail('unknown_event', `unknown event ${JSON.stringify(action)}; use subscribe, unsubscribe or ping`)
  }
  const symbol = typeof m.symbol === 'string' ? normalizeSymbol(m.symbol) : undefined
  if (symbol === undefined) return fail('invalid_symbol', `${action} needs a symbol such as "BTCUSDT"`)
  if (!isInterval(m.interval)) {
    return fail('invalid_interval', `interval ${JSON.stringify(m.interval)} is not valid; one of ${INTERVALS.join(', ')}`)
  }
  if (action === 'unsubscribe') return { ok: true, request: { kind: 'unsubscribe', symbol, interval: m.interval } }
  if (m.snapshot !== undefined && (typeof m.snapshot !== 'number' || !Number.isInteger(m.snapshot) || m.snapshot < 0)) {
    return fail('invalid_snapshot', 'snapshot must be a non-negative integer number of candles')
  }
  return { ok: true, request: { kind: 'subscribe', symbol, interval: m.interval, ...(typeof m.snapshot === 'number' && m.snapshot > 0 ? { snapshot: m.snapshot } : {}) } }
}

export function topicKey (symbol: string, interval: Interval): string {
  return `${symbol}|${interval}`
}
