// What the live ingestor reports to the rest of the service: which symbols are live, whether the
// stream is healthy, and the ingestion gauges for /stats.
import type { LiveSymbolSource } from './live-symbols.js'

export interface HealthIssue {
  issue: string
  [detail: string]: unknown
}

export interface LiveSymbolHealth {
  /** Open time of the last stored closed candle, or null before the first one. */
  last_closed_ts: number | null
  /** Milliseconds since the symbol's last stream message, or null if none arrived yet. */
  last_msg_age_ms: number | null
}

/** Where this process stands among ingest processes sharing one store (with leader election on). */
export interface Leadership {
  role: 'leader' | 'standby'
  /** The term this process leads under; null while it is a standby. */
  epoch: number | null
}

export interface LiveHealth {
  enabled: boolean
  /** 1 while the exchange stream is connected, 0 otherwise. */
  ws_state: number
  last_msg_age_ms: number | null
  symbols: Record<string, LiveSymbolHealth>
  /** Only with leader election on. */
  leadership?: Leadership
}

export interface IngestGauges {
  ws_state: number
  last_msg_age_ms: number | null
  reconnect_attempts_total: number
  rest_catchup_candles_total: number
  live_candles_total: number
  gap_repairs_total: number
  rejected_candles_total: number
  /** With leader election on: 1 while this process is the ingest leader, else 0. */
  leader?: number
  /** With leader election on: the leader's epoch, null while a standby. */
  leader_epoch?: number | null
}

export interface IngestStatus extends LiveSymbolSource {
  /** `issues` make /healthz fail; `notices` are reported in its details without failing it. */
  health (): { live: LiveHealth, issues: HealthIssue[], notices?: HealthIssue[] }
  gauges (): IngestGauges
  /** Only with leader election on: a standby must not write the store. */
  readonly leadership?: Leadership
}

/** The status reported when LIVE is off: nothing live, nothing to be unhealthy about. */
export const LIVE_OFF: IngestStatus = {
  liveSymbols: () => [],
  health: () => ({ live: { enabled: false, ws_state: 0, last_msg_age_ms: null, symbols: {} }, issues: [] }),
  gauges: () => ({
    ws_state: 0,
    last_msg_age_ms: null,
    reconnect_attempts_total: 0,
    rest_catchup_candles_total: 0,
    live_candles_total: 0,
    gap_repairs_total: 0,
    rejected_candles_total: 0
  })
}
