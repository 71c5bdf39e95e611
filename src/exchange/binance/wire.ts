// Binance's wire formats, parsed in one place: REST kline rows (12-element arrays with decimal
// strings) and stream messages (raw or {stream, data} wrapped kline events).
import type { Candle } from '../../domain/candle.js'
import { isInterval, type Interval } from '../../domain/intervals.js'
import type { ExchangeKline, KlineEvent, StreamKey } from '../exchange.js'

export class WireError extends Error {
  override name = 'WireError'
}

/** Epoch ms from a Binance time field; 16-digit values are microseconds. */
export function epochMs (value: unknown, field: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new WireError(`${field} is not an epoch time`)
  return n >= 1e15 ? Math.floor(n / 1000) : n
}

function decimal (value: unknown, field: string): number {
  const n = typeof value === 'string' ? Number(value) : value
  // Number('') and Number(' ') are 0, so only a zero needs the (allocating) blank check.
  if (typeof n !== 'number' || !Number.isFinite(n) || (n === 0 && typeof value === 'string' && value.trim() === '')) {
    throw new WireError(`${field} is not a decimal`)
  }
  return n
}

/** One row of GET /api/v3/klines. */
export function parseKlineRow (row: unknown, symbol: string, interval: Interval): ExchangeKline {
  if (!Array.isArray(row) || row.length < 7) throw new WireError('kline row is not an array of 12 fields')
  const candle: Candle = {
    symbol,
    interval,
    ts: epochMs(row[0], 'open time'),
    open: decimal(row[1], 'open'),
    high: decimal(row[2], 'high'),
    low: decimal(row[3], 'low'),
    close: decimal(row[4], 'close'),
    volume: decimal(row[5], 'volume')
  }
  return { candle, closeTime: epochMs(row[6], 'close time') }
}

export function parseKlineRows (body: unknown, symbol: string, interval: Interval): ExchangeKline[] {
  if (!Array.isArray(body)) throw new WireError('klines response is not an array')
  return body.map((row) => parseKlineRow(row, symbol, interval))
}

export function streamName (key: StreamKey): string {
  // Symbols are lower case in stream names; the interval keeps its case (1m is not 1M).
  return `${key.symbol.toLowerCase()}@kline_${key.interval}`
}

export type StreamMessage =
  | { kind: 'kline', event: KlineEvent }
  | { kind: 'shutdown' }
  | { kind: 'control' }

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** One text frame of a kline stream connection; throws WireError when it cannot be understood. */
export function parseStreamMessage (text: string): StreamMessage {
  let msg: unknown
  try {
    msg = JSON.parse(text)
  } catch {
    throw new WireError('stream message is not JSON')
  }
  if (!isObject(msg)) throw new WireError('stream message is not an object')
  const data = isObject(msg.data) && typeof msg.stream === 'string' ? msg.data : msg
  if (data.e === 'serverShutdown') return { kind: 'shutdown' }
  if ('result' in data || 'id' in data || ('code' in data && 'msg' in data)) return { kind: 'control' }
  if (data.e !== 'kline') throw new WireError(`unexpected stream event ${JSON.stringify(data.e)}`)
  const k = data.k
  if (!isObject(k)) throw new WireError('kline event has no k object')
  const symbol = typeof k.s === 'string' ? k.s : data.s
  if (typeof symbol !== 'string' || symbol === '') throw new WireError('kline event has no symbol')
  if (!isInterval(k.i)) throw new WireError(`kline event has an unknown interval ${JSON.stringify(k.i)}`)
  if (typeof k.x !== 'boolean') throw new WireError('kline event has no x flag')
  const candle: Candle = {
    symbol: symbol.toUpperCase(),
    interval: k.i,
    ts: epochMs(k.t, 'k.t'),
    open: decimal(k.o, 'k.o'),
    high: decimal(k.h, 'k.h'),
    low: decimal(k.l, 'k.l'),
    close: decimal(k.c, 'k.c'),
    volume: decimal(k.v, 'k.v')
  }
  return { kind: 'kline', event: { candle, closed: k.x, eventTime: epochMs(data.E ?? k.T, 'E') } }
}
