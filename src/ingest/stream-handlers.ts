// What each event of the exchange's kline stream does: the stream's up and down times feed the
// health report, a (re)connect starts a catch-up, and every 1m kline of an ingested symbol is
// validated and handed to that symbol's lane, in which order closes and partials take effect.
import { candleDefect } from '../domain/candle.js'
import type { KlineStreamHandlers } from '../exchange/exchange.js'
import type { Log } from '../log.js'
import type { IngestHealth } from './ingest-health.js'
import type { SymbolLane } from './symbol-lane.js'

export interface StreamedSymbol {
  lane: SymbolLane
  lastMessageAt?: number
}

export interface StreamRouting {
  health: IngestHealth
  log: Log
  /** The state of an ingested symbol; undefined for any other. */
  symbol (symbol: string): StreamedSymbol | undefined
  /** The stream is up (first time or again): catch up. */
  connected (): void
  /** Ingestion is stopping: klines still arriving are ignored. */
  stopped (): boolean
}

export function klineStreamHandlers (r: StreamRouting): KlineStreamHandlers {
  return {
    onOpen: () => {
      r.health.streamOpened()
      r.connected()
    },
    onClose: (info) => {
      r.health.streamClosed()
      r.log.warn({ host: info.host, reason: info.reason, reconnectInMs: info.reconnectInMs }, `exchange stream to ${info.host} closed (${info.reason}); reconnecting`)
    },
    onKline: ({ candle, closed }) => {
      if (r.stopped()) return
      const now = r.health.messageArrived()
      const state = r.symbol(candle.symbol)
      if (state === undefined || candle.interval !== '1m') return
      state.lastMessageAt = now
      const defect = candleDefect(candle)
      if (defect !== undefined) {
        r.health.counters.rejected_candles_total++
        r.log.warn({ symbol: candle.symbol, ts: candle.ts, defect }, 'rejected an invalid kline from the stream')
        return
      }
      if (closed) state.lane.closed(candle)
      else state.lane.forming(candle)
    },
    onBadMessage: (reason) => {
      r.health.counters.bad_messages_total++
      r.log.warn({ reason }, 'ignored a malformed stream message')
    }
  }
}
