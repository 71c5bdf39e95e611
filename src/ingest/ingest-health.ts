// The live ingestor's health and gauges: stream up or down and for how long, how long each symbol
// has been silent, the exchange's refusal, unknown symbols, and the running counters.
import { MINUTE_MS } from '../domain/intervals.js'
import type { ExchangeReach } from './exchange-reach.js'
import type { HealthIssue, IngestGauges, LiveHealth } from './ingest-status.js'

export interface IngestCounters {
  rest_catchup_candles_total: number
  live_candles_total: number
  gap_repairs_total: number
  rejected_candles_total: number
  bad_messages_total: number
}

export interface SymbolActivity {
  symbol: string
  /** Open time of the newest stored closed candle. */
  lastClosed?: number
  lastMessageAt?: number
}

export interface StreamView {
  open: boolean
  reconnectAttempts: number
}

export interface IngestHealthOptions {
  reach: ExchangeReach
  now?: () => number
  /** A symbol without messages for this long is stale (default 3 intervals). */
  staleAfterMs?: number
  /** The stream down for longer than this makes /healthz fail (default 2 minutes). */
  downAlertMs?: number
}

export class IngestHealth {
  readonly counters: IngestCounters = {
    rest_catchup_candles_total: 0,
    live_candles_total: 0,
    gap_repairs_total: 0,
    rejected_candles_total: 0,
    bad_messages_total: 0
  }

  /** Why the exchange refuses this service, once it has. */
  fatal?: string
  readonly unknownSymbols: string[] = []
  readonly now: () => number
  private readonly startedAt: number
  private lastMessageAt?: number
  private downSince: number

  constructor (private readonly opts: IngestHealthOptions) {
    this.now = opts.now ?? Date.now
    this.startedAt = this.now()
    this.downSince = this.startedAt
  }

  /** A stream message arrived; returns its arrival time. */
  messageArrived (): number {
    this.lastMessageAt = this.now()
    return this.lastMessageAt
  }

  streamOpened (): void {
    this.downSince = Number.POSITIVE_INFINITY
  }

  streamClosed (): void {
    if (this.downSince === Number.POSITIVE_INFINITY) this.downSince = this.now()
  }

  report (symbols: Iterable<SymbolActivity>, stream: StreamView): { live: LiveHealth, issues: HealthIssue[], notices: HealthIssue[] } {
    const now = this.now()
    const issues: HealthIssue[] = []
    if (this.fatal !== undefined) issues.push({ issue: 'exchange_refused', message: this.fatal })
    for (const symbol of this.unknownSymbols) issues.push({ issue: 'unknown_symbol', symbol })
    const perSymbol: LiveHealth['symbols'] = {}
    const staleAfterMs = this.opts.staleAfterMs ?? 3 * MINUTE_MS
    for (const s of symbols) {
      const age = s.lastMessageAt === undefined ? null : now - s.lastMessageAt
      perSymbol[s.symbol] = { last_closed_ts: s.lastClosed ?? null, last_msg_age_ms: age }
      const silentFor = now - (s.lastMessageAt ?? this.startedAt)
      if (silentFor > staleAfterMs) {
        issues.push({ issue: 'stale_last_message', symbol: s.symbol, last_msg_age_ms: silentFor, interval_ms: MINUTE_MS })
      }
    }
    const downFor = now - this.downSince
    if (this.fatal === undefined && downFor > (this.opts.downAlertMs ?? 120_000)) {
      issues.push({ issue: 'ws_down', duration_seconds: Math.round(downFor / 1000) })
    }
    return {
      live: { enabled: true, ws_state: stream.open ? 1 : 0, last_msg_age_ms: this.lastMessageAge(now), symbols: perSymbol },
      issues,
      notices: this.opts.reach.issues()
    }
  }

  gauges (stream: StreamView): IngestGauges {
    return {
      ws_state: stream.open ? 1 : 0,
      last_msg_age_ms: this.lastMessageAge(this.now()),
      reconnect_attempts_total: stream.reconnectAttempts,
      rest_catchup_candles_total: this.counters.rest_catchup_candles_total,
      live_candles_total: this.counters.live_candles_total,
      gap_repairs_total: this.counters.gap_repairs_total,
      rejected_candles_total: this.counters.rejected_candles_total
    }
  }

  private lastMessageAge (now: number): number | null {
    return this.lastMessageAt === undefined ? null : now - this.lastMessageAt
  }
}
