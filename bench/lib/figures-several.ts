// What BENCHMARKS.md shows of the PostgreSQL store and of several processes sharing it: the store
// against DuckDB, `copy` between them, and one process against two api replicas.
import { lat, type DetailTable, type FigureDef, type Unit } from './figure-defs.js'

const S8 = '8. PostgreSQL store'
const S9 = '9. Several processes'

export const SEVERAL_PROCESS_FIGURES: FigureDef[] = [
  { key: 'postgres.write.candles_per_s', benchmark: 'postgres-store', section: S8, label: 'PostgreSQL store: batches of 1m candles written (COPY, hourly roll-ups kept in step), candles/s', unit: 'candles/s' },
  { key: 'duckdb.write.candles_per_s', benchmark: 'postgres-store', section: S8, label: 'DuckDB store: the same batches, candles/s', unit: 'candles/s' },
  { key: 'postgres.window_1m.p99_ms', benchmark: 'postgres-store', section: S8, label: 'PostgreSQL store: p99 of one uncached 600 × 1m window at a random end (store call, no HTTP)', unit: 'ms' },
  { key: 'duckdb.window_1m.p99_ms', benchmark: 'postgres-store', section: S8, label: 'DuckDB store: the same windows, p99', unit: 'ms' },
  { key: 'engines.postgres.single.p50_ms', benchmark: 'engines-uncached', section: S8, label: 'over HTTP, 5M-row store: p50 of one uncached 600-row window, PostgreSQL store (DuckDB in the table below)', unit: 'ms' },
  { key: 'engines.postgres.single.p99_ms', benchmark: 'engines-uncached', section: S8, label: 'the same, p99, PostgreSQL store', unit: 'ms' },
  { key: 'engines.postgres.capacity.rps', benchmark: 'engines-uncached', section: S8, label: 'capacity of those reads, PostgreSQL store (8 connections, closed loop), requests/s', unit: 'req/s' },
  { key: 'engines.duckdb.capacity.rps', benchmark: 'engines-uncached', section: S8, label: 'the same, DuckDB store, requests/s', unit: 'req/s' },
  { key: 'duckdb_to_postgres.candles_per_s', benchmark: 'store-copy', section: S8, label: '`copy` of a DuckDB file into an empty PostgreSQL database, candles/s', unit: 'candles/s', target: { op: '>=', value: 100_000 } },
  { key: 'postgres_to_duckdb.candles_per_s', benchmark: 'store-copy', section: S8, label: '`copy` of that PostgreSQL database into a new DuckDB file, candles/s', unit: 'candles/s', target: { op: '>=', value: 100_000 } },
  { key: 'scale.all.rps', benchmark: 'scale-rest', section: S9, label: 'cached latest 600: one `ROLE=all` process (DuckDB), requests/s', unit: 'req/s' },
  { key: 'scale.api2.rps', benchmark: 'scale-rest', section: S9, label: 'the same over two `ROLE=api` replicas (PostgreSQL, Redis bus), requests/s', unit: 'req/s' },
  { key: 'scale.factor', benchmark: 'scale-rest', section: S9, label: 'scaling factor: two replicas ÷ one process, requests/s (2 cores shared with the load generator: see the details)', unit: '×' },
  { key: 'scale_fanout.one.p99_ms', benchmark: 'scale-fanout', section: S9, label: 'p99 publish → receipt, one update to 5,000 clients on one hub (Redis bus)', unit: 'ms' },
  { key: 'scale_fanout.two.p99_ms', benchmark: 'scale-fanout', section: S9, label: 'p99 publish → receipt, one update to 10,000 clients over two hubs (Redis bus)', unit: 'ms' },
  { key: 'scale_fanout.two.dropped_clients', benchmark: 'scale-fanout', section: S9, label: 'clients dropped or missing an update (10,000 over two hubs)', unit: 'clients', target: { op: '<=', value: 0 } },
  { key: 'failover.first_store_ms', benchmark: 'failover', section: S9, label: 'failover: ingest leader SIGKILLed → first candle stored by the new leader (median over the kills)', unit: 'ms' },
  { key: 'scale.cpu_factor', benchmark: 'scale-rest', section: S9, label: 'server CPU per request, one process ÷ two replicas (1.00: a replica costs what the single process costs)', unit: '×' }
]

export const SEVERAL_PROCESS_TABLES: DetailTable[] = [
  {
    title: 'PostgreSQL against DuckDB, store calls',
    benchmark: 'postgres-store',
    note: 'Store-level calls in one process, no HTTP; the PostgreSQL server runs on the same machine (fsync off, as the tests run it). Both stores get the same archive CSV import, then the same batches of 1m candles for 2 symbols, then uncached 600-bar windows at random ends (1h and 1d rolled up from 1m; with fewer than 600 days stored a 1d read returns every day there is).',
    columns: ['store', 'CSV import lines/s', 'batch writes', '1m p50', '1m p99', '1h p50', '1h p99', '1d p50', '1d p99'],
    rows: (['postgres', 'duckdb'] as const).map((s) => ({
      label: s === 'postgres' ? 'PostgreSQL' : 'DuckDB',
      cells: [
        { key: `${s}.csv_import.lines_per_s`, unit: 'rows/s' as Unit },
        { key: `${s}.write.candles_per_s`, unit: 'candles/s' as Unit },
        ...(['1m', '1h', '1d'] as const).flatMap((i) => [{ key: `${s}.window_${i}.p50_ms`, unit: 'ms' as Unit }, { key: `${s}.window_${i}.p99_ms`, unit: 'ms' as Unit }])
      ]
    }))
  },
  {
    title: 'Uncached 600-row windows over HTTP, 5M-row store: DuckDB against PostgreSQL',
    benchmark: 'engines-uncached',
    note: 'One service process per engine on the same 5.26M rows (5 symbols × 2 years; PostgreSQL filled by `tv-api copy`), measured one after the other with the same seeded requests, each checked to answer the same bytes from both. One connection: each request sent when the previous answer arrived. Paced: requests evenly spaced at the asked rate over all symbols. Capacity: 8 connections, closed loop. CPU per request is the service process plus, for PostgreSQL, the server backends of its database; the CPU-bound rate is cores ÷ that, with a free load generator. Cache hits must be 0 (every request names from/to).',
    columns: ['store', '1 conn p50', '1 conn p99', 'paced req/s', 'paced p50', 'paced p99', 'capacity req/s', 'capacity p99', 'service CPU/req', 'PostgreSQL CPU/req', 'CPU-bound req/s', 'cache hits'],
    rows: (['duckdb', 'postgres'] as const).map((e) => ({
      label: e === 'duckdb' ? 'DuckDB' : 'PostgreSQL',
      cells: [
        { key: `engines.${e}.single.p50_ms`, unit: 'ms' as Unit },
        { key: `engines.${e}.single.p99_ms`, unit: 'ms' as Unit },
        { key: `engines.${e}.paced.rps`, unit: 'req/s' as Unit },
        { key: `engines.${e}.paced.p50_ms`, unit: 'ms' as Unit },
        { key: `engines.${e}.paced.p99_ms`, unit: 'ms' as Unit },
        { key: `engines.${e}.capacity.rps`, unit: 'req/s' as Unit },
        { key: `engines.${e}.capacity.p99_ms`, unit: 'ms' as Unit },
        { key: `engines.${e}.capacity.service_cpu_ms_per_req`, unit: 'ms' as Unit },
        { key: `engines.${e}.capacity.backend_cpu_ms_per_req`, unit: 'ms' as Unit },
        { key: `engines.${e}.cpu_bound_rps`, unit: 'req/s' as Unit },
        { key: `engines.${e}.cache_hits` }
      ]
    }))
  },
  {
    title: 'PostgreSQL drivers: raw rows into a bare table',
    benchmark: 'postgres-store',
    note: 'The same 1m rows into an unlogged table without roll-ups; postgres.js only when `--postgres-js` points at an installed package.',
    columns: ['path', 'rows/s'],
    rows: [
      { label: 'pg COPY FROM STDIN (pg-copy-streams)', cells: [{ key: 'driver.pg_copy.rows_per_s', unit: 'rows/s' }] },
      { label: 'pg multi-row INSERT, 1,000 rows', cells: [{ key: 'driver.pg_insert_values.rows_per_s', unit: 'rows/s' }] },
      { label: 'pg INSERT ... SELECT unnest() of arrays, 10,000 rows', cells: [{ key: 'driver.pg_insert_unnest.rows_per_s', unit: 'rows/s' }] },
      { label: 'postgres.js COPY', cells: [{ key: 'driver.postgresjs_copy.rows_per_s', unit: 'rows/s' }] },
      { label: 'postgres.js multi-row insert', cells: [{ key: 'driver.postgresjs_insert.rows_per_s', unit: 'rows/s' }] }
    ]
  },
  {
    title: 'copy between stores',
    benchmark: 'store-copy',
    note: 'copyStore (the loop of `tv-api copy`) in the benchmark process, batches of 50,000, each copy checked complete. Candles per CPU-second divides by the CPU of this process plus the PostgreSQL backends serving it: what the copy reaches on an otherwise idle machine when the two sides do not overlap.',
    columns: ['direction', 'candles', 'candles/s', 'candles per CPU-second', 'seconds'],
    rows: (['duckdb_to_postgres', 'postgres_to_duckdb'] as const).map((d) => ({
      label: d === 'duckdb_to_postgres' ? 'DuckDB → PostgreSQL' : 'PostgreSQL → DuckDB',
      cells: [{ key: 'rows' }, { key: `${d}.candles_per_s`, unit: 'candles/s' as Unit }, { key: `${d}.candles_per_cpu_s`, unit: 'candles/s' as Unit }, { key: `${d}.seconds`, unit: 's' as Unit }]
    }))
  },
  {
    title: 'Cached latest 600: one process against two replicas',
    benchmark: 'scale-rest',
    note: 'Closed loop, autocannon in the benchmark process: one instance with all the connections against the single process, one instance per replica with half of them each against the replicas (the load spread evenly, no balancer in between). On a 2-core machine the load generator competes with the servers for the same cores: two replicas can at best share what autocannon leaves, so requests/s understate what two replicas on their own cores give; server CPU per request is the fairer comparison. CPU is user + system time over the measured seconds (100% = one core).',
    columns: ['setup', 'requests/s', 'p50', 'p99', 'max', 'server CPU', 'server CPU per request', 'autocannon CPU', 'cache hit ratio'],
    rows: (['all', 'api1', 'api2'] as const).map((k) => ({
      label: k === 'all' ? 'one `ROLE=all` process, DuckDB' : k === 'api1' ? 'one `ROLE=api` replica, PostgreSQL + Redis' : 'two `ROLE=api` replicas, PostgreSQL + Redis',
      cells: [{ key: `scale.${k}.rps`, unit: 'req/s' as Unit }, ...lat(`scale.${k}`), { key: `scale.${k}.server_cpu_pct`, unit: '%' as Unit }, { key: `scale.${k}.cpu_us_per_req`, unit: 'µs' as Unit }, { key: `scale.${k}.loadgen_cpu_pct`, unit: '%' as Unit }, { key: `scale.${k}.cache_hit_ratio` }]
    }))
  },
  {
    title: 'WebSocket fan-out: one hub against two',
    benchmark: 'scale-fanout',
    note: 'Hub servers as in the fan-out table above, on the Redis bus: the first hub publishes, Redis hands every update to each hub (its own included), each writes it to its clients. Latency from the publish on the first hub to the receipt by a `ws` client in one of 2 worker processes, both on CLOCK_MONOTONIC. Hubs, Redis and the client processes share the 2 cores, so two hubs do not get a core of their own each.',
    columns: ['setup', 'clients', 'p50', 'p99', 'max', 'last client', 'missing msgs', 'dropped'],
    rows: (['one', 'two'] as const).map((k) => ({
      label: k === 'one' ? 'one hub, 5,000 clients' : 'two hubs, 5,000 clients each',
      cells: [{ key: `scale_fanout.${k}.clients` }, ...lat(`scale_fanout.${k}`), { key: `scale_fanout.${k}.last_client_p50_ms`, unit: 'ms' as Unit }, { key: `scale_fanout.${k}.missing_messages` }, { key: `scale_fanout.${k}.dropped_clients` }]
    }))
  },
  {
    title: 'Ingest failover',
    benchmark: 'failover',
    note: 'Two `ROLE=ingest` processes on one PostgreSQL store and Redis bus, streaming 2 symbols from the simulator, default lock timings. The leader is SIGKILLed and one simulated minute closes at once; the standby\'s /stats and the stored candles are polled every 10 ms. The killed process comes back as the next standby, and the next kill hits the new leader.',
    columns: ['measure', 'median', 'max', 'kills'],
    rows: [
      { label: 'SIGKILL → the standby reports itself leader', cells: [{ key: 'failover.lead_ms', unit: 'ms' }, { key: 'failover.lead_max_ms', unit: 'ms' }, { key: 'failover.kills' }] },
      { label: 'SIGKILL → first candle stored by the new leader', cells: [{ key: 'failover.first_store_ms', unit: 'ms' }, { key: 'failover.first_store_max_ms', unit: 'ms' }, { key: 'failover.kills' }] }
    ]
  }
]
