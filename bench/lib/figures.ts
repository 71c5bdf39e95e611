// What BENCHMARKS.md shows: the figures of the issue with their targets, in its order, and the
// secondary tables. A target is met when the median over the runs meets it.
import { SEVERAL_PROCESS_FIGURES, SEVERAL_PROCESS_TABLES } from './figures-several.js'
import { BENCHMARK_NAMES, lat, type BenchmarkName, type DetailTable, type FigureDef, type Unit } from './figure-defs.js'

export { BENCHMARK_NAMES, meets, type BenchmarkName, type DetailTable, type FigureDef, type Target, type Unit } from './figure-defs.js'

/** Names accepted on the command line besides the benchmark names. */
export const GROUPS: Record<string, readonly BenchmarkName[]> = {
  all: BENCHMARK_NAMES,
  rest: ['rest-cached', 'rest-uncached', 'rollups'],
  ws: ['ws-fanout'],
  ingest: ['backfill', 'import', 'bulk', 'live'],
  ingestion: ['backfill', 'import', 'bulk', 'live'],
  postgres: ['postgres-store', 'engines-uncached', 'store-copy'],
  scale: ['scale-rest', 'scale-fanout', 'failover']
}

/**
 * How much the service's RSS may grow, besides the latest-N cache budget, over the cache-memory
 * benchmark's 1,024 requests: what serving those 5,000-candle pages costs with no cache at all
 * (55-60 MiB measured, mostly V8's heap growing to read and encode them), see bench/README.md.
 */
export const CACHE_ALLOWANCE_MB = 64

/** What the cache may add to that, besides its budget: block rounding and bookkeeping. */
export const CACHE_OVERHEAD_MB = 16

const S1 = '1. Latest 600 candles, cached'
const S2 = '2. Uncached reads (5M-row store)'
const S3 = '3. Roll-ups from 1m (uncached)'
const S4 = '4. WebSocket fan-out'
const S5 = '5. Ingestion'
const S6 = '6. Memory (service RSS)'
const S7 = '7. Exports'

export const FIGURES: FigureDef[] = [
  { key: 'cached.rps', benchmark: 'rest-cached', section: S1, label: 'service requests/s, 50 connections', unit: 'req/s' },
  { key: 'cached.bare_rps', benchmark: 'rest-cached', section: S1, label: 'bare node:http server, same bytes, requests/s', unit: 'req/s' },
  { key: 'cached.rps_ratio', benchmark: 'rest-cached', section: S1, label: 'service ÷ bare requests/s', unit: '×', target: { op: '>=', value: 0.7 } },
  { key: 'cached.p99_ms', benchmark: 'rest-cached', section: S1, label: 'service p99 latency', unit: 'ms', target: { op: '<=', value: 5 } },
  { key: 'uncached.p99_ms', benchmark: 'rest-uncached', section: S2, label: 'p99, random 600-row windows at 500 requests/s (a request unanswered after 2 s counts as 2 s)', unit: 'ms', target: { op: '<=', value: 15 } },
  { key: 'uncached.rps', benchmark: 'rest-uncached', section: S2, label: 'answered within 2 s per second (asked: 500/s)', unit: 'req/s' },
  { key: 'uncached.capacity_rps', benchmark: 'rest-uncached', section: S2, label: 'capacity: most requests/s of these reads (8 connections, closed loop)', unit: 'req/s' },
  { key: 'uncached.limit_5000.p50_ms', benchmark: 'rest-uncached', section: S2, label: 'p50 of one request, limit 5000 (vs limit 100 in the table below)', unit: 'ms' },
  { key: 'uncached.size_ratio_p50', benchmark: 'rest-uncached', section: S2, label: 'p50 on 5M rows ÷ p50 on 1M rows, same requests (table size must not matter)', unit: '×', target: { op: '<=', value: 1.5 } },
  { key: 'rollup_1h.p99_ms', benchmark: 'rollups', section: S3, label: 'p99, 600 × 1h bars (36,000 minutes each)', unit: 'ms', target: { op: '<=', value: 25 } },
  { key: 'rollup_1d.p99_ms', benchmark: 'rollups', section: S3, label: 'p99, 600 × 1d bars (864,000 minutes each)', unit: 'ms', target: { op: '<=', value: 25 } },
  { key: 'fanout_5000.p99_ms', benchmark: 'ws-fanout', section: S4, label: 'p99 publish → receipt, one update to 5,000 clients on one topic', unit: 'ms', target: { op: '<=', value: 50 } },
  { key: 'fanout_5000.dropped_clients', benchmark: 'ws-fanout', section: S4, label: 'clients dropped or missing an update (5,000 on one topic)', unit: 'clients', target: { op: '<=', value: 0 } },
  { key: 'fanout_topics.p99_ms', benchmark: 'ws-fanout', section: S4, label: 'p99 publish → receipt, 1,000 clients over 100 topics', unit: 'ms' },
  { key: 'fanout_topics.dropped_clients', benchmark: 'ws-fanout', section: S4, label: 'clients dropped (1,000 over 100 topics, incl. the ceiling run)', unit: 'clients', target: { op: '<=', value: 0 } },
  { key: 'fanout.ceiling_msgs_per_s', benchmark: 'ws-fanout', section: S4, label: 'messages/s ceiling (1,000 clients, 100 topics, publishing flat out)', unit: 'msgs/s' },
  { key: 'backfill.candles_per_s', benchmark: 'backfill', section: S5, label: 'backfill from the simulator (pages of 1000), candles stored/s', unit: 'candles/s', target: { op: '>=', value: 100_000 } },
  { key: 'backfill.pg_candles_per_s', benchmark: 'backfill', section: S5, label: 'backfill from the simulator into PostgreSQL, candles stored/s', unit: 'candles/s' },
  { key: 'import.rows_per_s', benchmark: 'import', section: S5, label: 'import of archive CSV, rows stored/s', unit: 'rows/s', target: { op: '>=', value: 500_000 } },
  { key: 'bulk.seed_5m.peak_mb', benchmark: 'bulk', section: S5, label: 'peak RSS of `tv-api seed`, 5.26M rows at the default 192MB DuckDB memory limit', unit: 'MiB' },
  { key: 'bulk.seed_peak_ratio', benchmark: 'bulk', section: S5, label: 'peak RSS seeding 5.26M rows ÷ seeding 1.05M rows (bounded batches: flat)', unit: '×', target: { op: '<=', value: 1.25 } },
  { key: 'bulk.restore_5m.peak_mb', benchmark: 'bulk', section: S5, label: 'peak RSS of `tv-api restore` of the 5.26M-row backup', unit: 'MiB' },
  { key: 'live.p99_ms', benchmark: 'live', section: S5, label: 'live path p99, simulator event → receipt at 100 subscribers', unit: 'ms', target: { op: '<=', value: 10 } },
  { key: 'memory.store_mb', benchmark: 'memory', section: S6, label: 'RSS with the 5M-row store open, after reads', unit: 'MiB', target: { op: '<=', value: 300 } },
  { key: 'memory.ws_mb', benchmark: 'memory', section: S6, label: 'RSS with the store and 5,000 idle subscribed /ws clients', unit: 'MiB', target: { op: '<=', value: 300 } },
  { key: 'cache_memory.growth_mb', benchmark: 'cache-memory', section: S6, label: 'RSS growth over 1,024 latest-N requests with distinct limits 3977-5000 (~350 MB of bodies), 32 MiB cache budget', unit: 'MiB', target: { op: '<=', value: 32 + CACHE_ALLOWANCE_MB } },
  { key: 'cache_memory.cache_mb', benchmark: 'cache-memory', section: S6, label: 'what the latest-N cache holds after them (its budget: 32 MiB)', unit: 'MiB', target: { op: '<=', value: 32 } },
  { key: 'cache_memory.off_growth_mb', benchmark: 'cache-memory', section: S6, label: 'RSS growth over the same requests with the cache off', unit: 'MiB' },
  { key: 'cache_memory.cache_cost_mb', benchmark: 'cache-memory', section: S6, label: 'what the 32 MiB cache adds to that growth (with the cache less without)', unit: 'MiB', target: { op: '<=', value: 32 + CACHE_OVERHEAD_MB } },
  ...(['csv', 'ndjson', 'parquet'] as const).flatMap((format) => (['1m', '5m'] as const).flatMap((size): FigureDef[] => [
    { key: `export.${format}_${size}.rows_per_s`, benchmark: 'export', section: S7, label: `GET /api/v1/export format=${format}, ${size === '1m' ? '1.05M' : '5.26M'} 1m candles of one symbol, rows/s over the whole download`, unit: 'rows/s' },
    { key: `export.${format}_${size}.peak_mb`, benchmark: 'export', section: S7, label: 'peak RSS of the service over that export (fresh process, 192MB DuckDB memory limit)', unit: 'MiB' }
  ])),
  { key: 'export.csv_peak_ratio', benchmark: 'export', section: S7, label: 'peak RSS exporting 5.26M rows ÷ 1.05M rows as CSV (paged streaming: flat)', unit: '×', target: { op: '<=', value: 1.25 } },
  ...SEVERAL_PROCESS_FIGURES
]

export const DETAIL_TABLES: DetailTable[] = [
  {
    title: 'Latest 600 (cached) against a bare node:http server',
    benchmark: 'rest-cached',
    note: 'Closed loop, 50 connections, autocannon in the benchmark process, each server its own process. Latency to the last byte of each response from autocannon\'s per-request hrtime; autocannon\'s own histogram has 1 ms resolution and is shown for comparison. CPU is user + system time of each process over the measured seconds (100% = one core): when autocannon sits near 100%, requests/s are bounded by the load generator, and CPU per request is the fairer comparison of the two servers.',
    columns: ['server', 'requests/s', 'p50', 'p99', 'max', 'autocannon p99', 'server CPU', 'server CPU per request', 'autocannon CPU'],
    rows: [
      { label: 'service', cells: [{ key: 'cached.rps', unit: 'req/s' }, ...lat('cached'), { key: 'cached.autocannon_p99_ms', unit: 'ms' }, { key: 'cached.server_cpu_pct', unit: '%' }, { key: 'cached.cpu_us_per_req', unit: 'µs' }, { key: 'cached.loadgen_cpu_pct', unit: '%' }] },
      { label: 'bare node:http', cells: [{ key: 'cached.bare_rps', unit: 'req/s' }, ...lat('cached.bare'), { key: 'cached.bare_autocannon_p99_ms', unit: 'ms' }, { key: 'cached.bare.server_cpu_pct', unit: '%' }, { key: 'cached.bare.cpu_us_per_req', unit: 'µs' }, { key: 'cached.bare.loadgen_cpu_pct', unit: '%' }] },
      { label: 'bare ÷ service CPU per request', cells: [{ text: '' }, { text: '' }, { text: '' }, { text: '' }, { text: '' }, { text: '' }, { key: 'cached.cpu_ratio', unit: '×' }, { text: '' }] }
    ]
  },
  {
    title: 'Uncached latency against rows returned (5M-row store)',
    benchmark: 'rest-uncached',
    note: 'One connection, each request sent when the previous answer arrived: the cost of one request without queueing. Random BTCUSDT windows of exactly `limit` 1m candles.',
    columns: ['limit', 'p50', 'p99', 'max', 'requests/s'],
    rows: [100, 600, 1000, 5000].map((l) => ({ label: String(l), cells: [...lat(`uncached.limit_${l}`), { key: `uncached.limit_${l}.rps`, unit: 'req/s' as Unit }] }))
  },
  {
    title: 'Uncached latency against table size (same BTCUSDT requests, 600 rows)',
    benchmark: 'rest-uncached',
    note: 'Both stores hold the same BTCUSDT rows; the 5M one holds four more symbols.',
    columns: ['store', 'p50', 'p99', 'max'],
    rows: [
      { label: '1M rows (1 symbol × 2 years)', cells: lat('uncached.store_1m') },
      { label: '5M rows (5 symbols × 2 years)', cells: lat('uncached.store_5m') },
      { label: 'ratio 5M ÷ 1M', cells: [{ key: 'uncached.size_ratio_p50', unit: '×' }, { key: 'uncached.size_ratio_p99', unit: '×' }, { text: '' }] }
    ]
  },
  {
    title: 'Uncached reads at a steady rate',
    benchmark: 'rest-uncached',
    note: 'Open loop: requests evenly spaced at the asked rate over up to 64 keep-alive connections, random symbol and window, whatever the answers do; latency from issuing the request (a wait for a free connection included) to the last byte. A request unanswered after 2 s is abandoned and counts as 2000 ms.',
    columns: ['load', 'requests/s answered', 'p50', 'p99', 'max', 'failed', 'timed out', 'cache hits'],
    rows: [
      { label: '600-row windows, 5 symbols, 500 req/s asked', cells: [{ key: 'uncached.rps', unit: 'req/s' }, ...lat('uncached'), { key: 'uncached.failed' }, { key: 'uncached.timeouts' }, { key: 'uncached.cache_hits' }] },
      ...[100, 200, 300, 400].map((r) => ({ label: `the same at ${r} req/s asked`, cells: [{ key: `uncached.rate_${r}.rps`, unit: 'req/s' as Unit }, ...lat(`uncached.rate_${r}`), { text: '' }, { text: '' }, { text: '' }] })),
      { label: 'capacity: the same reads, 8 connections, closed loop', cells: [{ key: 'uncached.capacity_rps', unit: 'req/s' }, ...lat('uncached.capacity'), { text: '' }, { text: '' }, { text: '' }] }
    ]
  },
  {
    title: 'Uncached reads: the CPU bound',
    benchmark: 'rest-uncached',
    note: 'CPU time (user + system) of the service process and of the load generator during the capacity run, per answered request. With both cores busy, cores ÷ CPU per request is the most requests/s this machine can answer, however the work is scheduled.',
    columns: ['measure', 'value'],
    rows: [
      { label: 'service CPU per request', cells: [{ key: 'uncached.capacity.service_cpu_ms_per_req', unit: 'ms' }] },
      { label: 'load generator CPU per request', cells: [{ key: 'uncached.capacity.generator_cpu_ms_per_req', unit: 'ms' }] },
      { label: 'most requests/s on this machine (both processes)', cells: [{ key: 'uncached.cpu_bound_rps', unit: 'req/s' }] },
      { label: 'most requests/s with a free load generator', cells: [{ key: 'uncached.cpu_bound_rps_service_only', unit: 'req/s' }] }
    ]
  },
  {
    title: 'Roll-ups',
    benchmark: 'rollups',
    note: 'One connection, random symbol, random `to` (so the latest-N cache is bypassed), limit 600.',
    columns: ['interval', 'requests/s', 'p50', 'p99', 'max'],
    rows: ['1h', '1d'].map((i) => ({ label: i, cells: [{ key: `rollup_${i}.rps`, unit: 'req/s' as Unit }, ...lat(`rollup_${i}`)] }))
  },
  {
    title: 'WebSocket fan-out',
    benchmark: 'ws-fanout',
    note: 'Publish on the app\'s live bus → receipt by real `ws` clients in 2 worker processes, both timestamps on CLOCK_MONOTONIC. "last client" is the time until the last client had an update (median over updates); "hub write loop" is the time until the hub had handed every frame of an update to the kernel.',
    columns: ['scenario', 'p50', 'p99', 'max', 'last client', 'hub write loop', 'missing msgs', 'dropped'],
    rows: [
      { label: '5,000 clients, 1 topic', cells: [...lat('fanout_5000'), { key: 'fanout_5000.last_client_p50_ms', unit: 'ms' }, { key: 'fanout_5000.hub_write_loop_ms', unit: 'ms' }, { key: 'fanout_5000.missing_messages' }, { key: 'fanout_5000.dropped_clients' }] },
      { label: '1,000 clients, 100 topics', cells: [...lat('fanout_topics'), { key: 'fanout_topics.last_client_p50_ms', unit: 'ms' }, { key: 'fanout_topics.hub_write_loop_ms', unit: 'ms' }, { key: 'fanout_topics.missing_messages' }, { key: 'fanout_topics.dropped_clients' }] },
      { label: 'floor: the same frame written straight to the 5,000 TCP sockets (no hub, no ws)', cells: [{ text: '' }, { text: '' }, { text: '' }, { text: '' }, { key: 'fanout_5000.floor_write_loop_ms', unit: 'ms' }, { text: '' }, { text: '' }] }
    ]
  },
  {
    title: 'WebSocket ceiling',
    benchmark: 'ws-fanout',
    columns: ['measure', 'value'],
    rows: [
      { label: 'messages/s received by the 1,000 clients (first to last receipt)', cells: [{ key: 'fanout.ceiling_msgs_per_s', unit: 'msgs/s' }] },
      { label: 'messages/s written by the hub while publishing', cells: [{ key: 'fanout.hub_write_msgs_per_s', unit: 'msgs/s' }] },
      { label: 'messages the flood should deliver (publishes × subscribers)', cells: [{ key: 'fanout.flood_expected_messages' }] },
      { label: 'messages delivered', cells: [{ key: 'fanout.flood_received_messages' }] }
    ]
  },
  {
    title: 'Ingestion',
    benchmark: 'backfill',
    note: '"own" is the figure the command prints (stored rows over its own elapsed time); "wall" divides by the whole process lifetime (start-up, store open, close included).',
    columns: ['path', 'own', 'wall', 'volume', 'wall time'],
    rows: [
      { label: 'backfill, 2 symbols × 60 days from the simulator', cells: [{ key: 'backfill.candles_per_s', unit: 'candles/s' }, { key: 'backfill.wall_candles_per_s', unit: 'candles/s' }, { key: 'backfill.candles' }, { key: 'backfill.wall_s', unit: 's' }] },
      { label: 'the same into PostgreSQL', cells: [{ key: 'backfill.pg_candles_per_s', unit: 'candles/s' }, { key: 'backfill.pg_wall_candles_per_s', unit: 'candles/s' }, { key: 'backfill.pg_candles' }, { key: 'backfill.pg_wall_s', unit: 's' }] },
      { label: 'import, 36 monthly CSV files', cells: [{ key: 'import.rows_per_s', unit: 'rows/s' }, { key: 'import.wall_rows_per_s', unit: 'rows/s' }, { key: 'import.rows' }, { key: 'import.wall_s', unit: 's' }] }
    ]
  },
  {
    title: 'Bulk writes at the default memory limit',
    benchmark: 'bulk',
    note: 'Each command a fresh process on a fresh file, DUCKDB_MEMORY_LIMIT at its default (192MB); peak RSS is VmHWM polled every 50 ms; rows/s over the whole wall time of the command.',
    columns: ['command', 'rows', 'peak RSS', 'rows/s'],
    rows: [
      { label: 'seed, 1 symbol × 2 years', cells: [{ key: 'bulk.seed_1m.rows' }, { key: 'bulk.seed_1m.peak_mb', unit: 'MiB' }, { key: 'bulk.seed_1m.rows_per_s', unit: 'rows/s' }] },
      { label: 'seed, 5 symbols × 2 years', cells: [{ key: 'bulk.seed_5m.rows' }, { key: 'bulk.seed_5m.peak_mb', unit: 'MiB' }, { key: 'bulk.seed_5m.rows_per_s', unit: 'rows/s' }] },
      { label: 'restore of the 5-symbol backup', cells: [{ key: 'bulk.seed_5m.rows' }, { key: 'bulk.restore_5m.peak_mb', unit: 'MiB' }, { key: 'bulk.restore_5m.rows_per_s', unit: 'rows/s' }] }
    ]
  },
  {
    title: 'Backfill: the simulator\'s share',
    benchmark: 'backfill',
    columns: ['measure', 'value'],
    rows: [{ label: 'simulator alone, one page of 1000 klines (ms)', cells: [{ key: 'backfill.sim_page_ms', unit: 'ms' }] }]
  },
  {
    title: 'Live path (simulator → service → 100 subscribers)',
    benchmark: 'live',
    note: 'Every receipt paired with the simulator event it carries; E is whole milliseconds, so figures may read up to 1 ms high. One minute closes during each recording: its final is stored before it is pushed.',
    columns: ['what', 'p50', 'p99', 'max'],
    rows: [
      { label: 'all receipts', cells: lat('live') },
      { label: 'partial candles', cells: [{ key: 'live.partial_p50_ms', unit: 'ms' }, { key: 'live.partial_p99_ms', unit: 'ms' }, { text: '' }] },
      { label: 'final candles', cells: [{ key: 'live.final_p50_ms', unit: 'ms' }, { text: '' }, { key: 'live.final_max_ms', unit: 'ms' }] },
      { label: 'reference: simulator → a client connected to it directly', cells: [{ key: 'live.sim_hop_p50_ms', unit: 'ms' }, { key: 'live.sim_hop_p99_ms', unit: 'ms' }, { text: '' }] }
    ]
  },
  {
    title: 'Memory',
    benchmark: 'memory',
    note: 'Resident set size of the service process (VmRSS), running the compiled JavaScript as in production.',
    columns: ['state', 'RSS'],
    rows: [
      { label: 'started, 5M-row store open', cells: [{ key: 'memory.start_mb', unit: 'MiB' }] },
      { label: 'after reads (windows, limit 5000, roll-ups, latest)', cells: [{ key: 'memory.store_mb', unit: 'MiB' }] },
      { label: 'plus 5,000 idle subscribed /ws clients', cells: [{ key: 'memory.ws_mb', unit: 'MiB' }] },
      { label: 'peak (VmHWM)', cells: [{ key: 'memory.peak_mb', unit: 'MiB' }] },
      { label: 'per /ws client', cells: [{ key: 'memory.per_client_kb', unit: 'KiB' }] }
    ]
  },
  ...SEVERAL_PROCESS_TABLES
]
