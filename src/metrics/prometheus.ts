/* eslint-disable no-new -- a prom-client metric registers itself in the registries named by `registers` */
// Prometheus metrics (text format via prom-client). Request and write timings are observed as they
// happen; everything the service already counts elsewhere (ingestion gauges, /ws counters, the
// body cache) is read from its owner at scrape time, so there is one source for each number.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { IngestStatus } from '../ingest/ingest-status.js'
import type { HubStats } from '../live/hub.js'
import type { LatestBodyCache } from '../query/latest-cache.js'
import type { CandleStore } from '../store/candle-store.js'

/** Read at scrape time, so the owners may be created after the metrics. */
export interface MetricSources {
  ingest: () => IngestStatus
  hub: () => HubStats
  cache: () => LatestBodyCache
}

const PREFIX = 'tvapi_'

/** A counter whose value is owned elsewhere: set to the source's total at each scrape. */
function mirroredCounter (registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name: PREFIX + name,
    help,
    registers: [registry],
    collect () {
      this.reset()
      this.inc(read())
    }
  })
}

function mirroredGauge (registry: Registry, name: string, help: string, read: () => number | null): void {
  new Gauge({
    name: PREFIX + name,
    help,
    registers: [registry],
    collect () {
      const v = read()
      if (v === null) this.reset()
      else this.set(v)
    }
  })
}

export class PrometheusMetrics {
  readonly registry = new Registry()
  private readonly http: Histogram<'method' | 'route' | 'status_code'>
  private readonly writeSeconds: Histogram
  private readonly writeRows: Counter

  constructor (sources: MetricSources) {
    const r = this.registry
    collectDefaultMetrics({ register: r })
    this.http = new Histogram({
      name: `${PREFIX}http_request_duration_seconds`,
      help: 'HTTP request duration by route pattern and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [r]
    })
    this.writeSeconds = new Histogram({
      name: `${PREFIX}duckdb_write_batch_duration_seconds`,
      help: 'Duration of one candle write batch (append, upsert, commit)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [r]
    })
    this.writeRows = new Counter({ name: `${PREFIX}duckdb_write_rows_total`, help: 'Candle rows written', registers: [r] })

    const g = () => sources.ingest().gauges()
    mirroredGauge(r, 'ingest_ws_state', '1 while the exchange stream is connected', () => g().ws_state)
    mirroredGauge(r, 'ingest_last_message_age_seconds', 'Seconds since the last exchange stream message', () => {
      const age = g().last_msg_age_ms
      return age === null ? null : age / 1000
    })
    // Only with leader election: absent otherwise.
    mirroredGauge(r, 'ingest_leader', '1 while this process is the ingest leader, 0 while a standby', () => g().leader ?? null)
    mirroredGauge(r, 'ingest_leader_epoch', "The ingest leader's term this process leads under", () => g().leader_epoch ?? null)
    mirroredCounter(r, 'ingest_reconnect_attempts_total', 'Exchange stream reconnect attempts', () => g().reconnect_attempts_total)
    mirroredCounter(r, 'ingest_rest_catchup_candles_total', 'Candles stored by REST catch-up and gap repair', () => g().rest_catchup_candles_total)
    mirroredCounter(r, 'ingest_live_candles_total', 'Closed candles stored from the stream', () => g().live_candles_total)
    mirroredCounter(r, 'ingest_gap_repairs_total', 'Holes repaired from REST while streaming', () => g().gap_repairs_total)
    mirroredCounter(r, 'ingest_rejected_candles_total', 'Candles rejected by validation', () => g().rejected_candles_total)
    new Gauge({
      name: `${PREFIX}ingest_last_closed_timestamp_seconds`,
      help: 'Open time of the last stored closed 1m candle per live symbol',
      labelNames: ['symbol'],
      registers: [r],
      collect () {
        this.reset()
        for (const [symbol, s] of Object.entries(sources.ingest().health().live.symbols)) {
          if (s.last_closed_ts !== null) this.set({ symbol }, s.last_closed_ts / 1000)
        }
      }
    })

    const h = () => sources.hub()
    mirroredGauge(r, 'ws_clients', 'Connected /ws clients', () => h().clients)
    mirroredGauge(r, 'ws_subscriptions', 'Subscriptions over all /ws clients', () => h().subscriptions)
    mirroredCounter(r, 'ws_messages_sent_total', 'Messages written to /ws clients', () => h().messages_sent_total)
    mirroredCounter(r, 'ws_bytes_sent_total', 'Bytes written to /ws clients', () => h().bytes_sent_total)
    mirroredCounter(r, 'ws_connections_total', '/ws connections accepted', () => h().connections_total)
    mirroredCounter(r, 'ws_refused_total', '/ws upgrades refused (client limit, origin)', () => h().refused_total)
    new Counter({
      name: `${PREFIX}ws_closed_total`,
      help: '/ws clients closed by the server, by cause',
      labelNames: ['cause'],
      registers: [r],
      collect () {
        const s = h()
        this.reset()
        this.inc({ cause: 'backpressure' }, s.closed_backpressure_total)
        this.inc({ cause: 'pong_timeout' }, s.closed_pong_timeout_total)
        this.inc({ cause: 'limit' }, s.closed_limit_total)
      }
    })

    mirroredCounter(r, 'candle_cache_hits_total', 'Latest-N candle bodies served from the cache', () => sources.cache().hits)
    mirroredCounter(r, 'candle_cache_misses_total', 'Latest-N candle requests that read the store', () => sources.cache().misses)
    mirroredGauge(r, 'candle_cache_entries', 'Latest-N candle bodies cached', () => sources.cache().size)
    mirroredGauge(r, 'candle_cache_bytes', 'Bytes the cached latest-N bodies count against the budget', () => sources.cache().bytes)
    mirroredGauge(r, 'candle_cache_max_bytes', 'Byte budget of the latest-N body cache (LATEST_CACHE_MAX_BYTES)', () => sources.cache().maxBytes)
  }

  /** Times every committed write batch of the store. */
  watchStore (store: CandleStore): void {
    store.onWrite((_symbols, info) => {
      if (info.rows === 0) return
      this.writeSeconds.observe(info.durationMs / 1000)
      this.writeRows.inc(info.rows)
    })
  }

  observeRequest (method: string, route: string, statusCode: number, ms: number): void {
    this.http.observe({ method, route, status_code: String(statusCode) }, ms / 1000)
  }

  async render (): Promise<{ contentType: string, body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}
