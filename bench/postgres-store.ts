// The PostgreSQL store on its own (no HTTP): an archive CSV import, write throughput of batches
// through COPY with the hourly roll-ups kept in step, and uncached 600-bar window reads (native 1m, 1h and 1d rolled up)
// at random ends, beside the DuckDB store holding the same rows. Then the driver question: the same
// raw rows into a bare table through pg's COPY (pg-copy-streams), pg multi-row INSERT, pg INSERT
// of unnest()ed arrays, and, when --postgres-js points at an installed `postgres` package, its
// COPY and its multi-row insert.
// With fewer than 600 days stored, a 1d read returns every day there is.
// Knobs: --url postgres://... (default: a throwaway server like the tests')  --days 70 (per symbol, 2
// symbols)  --batch 50000 (rows per upsertBatch)  --reads 200 (per interval)  --driver-rows 200000  --csv-rows 200000
// --postgres-js /path/to/node_modules/postgres/src/index.js
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { DAY_MS, MINUTE_MS, type Interval } from '../src/domain/intervals.js'
import type { Candle } from '../src/domain/candle.js'
import { minuteCandles } from '../src/exchange/simulator/price-model.js'
import type { CandleStore } from '../src/store/candle-store.js'
import { DuckDbCandleStore } from '../src/store/duckdb/duckdb-candle-store.js'
import { MEMORY_PATH } from '../src/store/duckdb/database.js'
import { openPostgresStore } from '../src/store/postgres/postgres-candle-store.js'
import { Knobs } from './lib/args.js'
import { runBenchmark } from './lib/bench-main.js'
import { log } from './lib/log.js'
import { benchDatabase } from './lib/shared-services.js'
import { latencyFigures, seededRandom, summarize } from './lib/stats.js'

const SYMBOLS = ['BTCUSDT', 'ETHUSDT']
const T0 = Date.UTC(2024, 0, 1)

async function fill (store: CandleStore, days: number, batch: number): Promise<{ rows: number, seconds: number }> {
  let rows = 0
  let ms = 0
  for (const symbol of SYMBOLS) {
    for (let t = T0; t < T0 + days * DAY_MS; t += batch * MINUTE_MS) {
      const part = minuteCandles(symbol, t, Math.min(T0 + days * DAY_MS, t + batch * MINUTE_MS))
      const started = performance.now()
      rows += (await store.upsertBatch(part)).rows
      ms += performance.now() - started
    }
  }
  return { rows, seconds: ms / 1000 }
}

/** An archive-style CSV of `rows` minutes; resolves to its path and the folder to remove. */
function archiveFile (rows: number): { path: string, dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-csv-'))
  const path = join(dir, 'SOLUSDT-1m.csv')
  writeFileSync(path, minuteCandles('SOLUSDT', T0, T0 + rows * MINUTE_MS)
    .map((c) => `${c.ts},${c.open},${c.high},${c.low},${c.close},${c.volume},${c.ts + 59_999},0,0,0,0,0\n`).join(''))
  return { path, dir }
}

async function windows (store: CandleStore, interval: Interval, reads: number, days: number) {
  const random = seededRandom(7)
  const span = days * DAY_MS
  const samples: number[] = []
  for (let i = 0; i < reads; i++) {
    const symbol = SYMBOLS[i % SYMBOLS.length]!
    const to = T0 + Math.floor(random() * span)
    const started = performance.now()
    const bars = await store.getCandles({ symbol, interval, to, limit: 600 })
    samples.push(performance.now() - started)
    if (bars.length === 0) throw new Error(`no ${interval} bars before ${to}`)
  }
  return summarize(samples)
}

const RAW_TABLE = 'CREATE UNLOGGED TABLE IF NOT EXISTS raw_candles (symbol text, "interval" text, ts bigint, open float8, high float8, low float8, close float8, volume float8, PRIMARY KEY (symbol, "interval", ts))'

async function timed (label: string, rows: number, run: () => Promise<void>, figures: Record<string, number>): Promise<void> {
  const started = performance.now()
  await run()
  const perSecond = rows / ((performance.now() - started) / 1000)
  log(`driver ${label}: ${Math.round(perSecond)} rows/s`)
  figures[`driver.${label}.rows_per_s`] = Math.round(perSecond)
}

async function drivers (url: string, rows: Candle[], postgresJs: string, figures: Record<string, number>): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const reset = () => client.query(`DROP TABLE IF EXISTS raw_candles; ${RAW_TABLE}`)
  const chunk = 1000
  try {
    await reset()
    await timed('pg_copy', rows.length, async () => {
      const text = function * () {
        for (let i = 0; i < rows.length; i += chunk) {
          yield rows.slice(i, i + chunk).map((c) => `${c.symbol}\t${c.interval}\t${c.ts}\t${c.open}\t${c.high}\t${c.low}\t${c.close}\t${c.volume}\n`).join('')
        }
      }
      await pipeline(Readable.from(text()), client.query(copyFrom('COPY raw_candles FROM STDIN')))
    }, figures)
    await reset()
    await timed('pg_insert_values', rows.length, async () => {
      for (let i = 0; i < rows.length; i += chunk) {
        const part = rows.slice(i, i + chunk)
        const values = part.map((_, j) => `($${8 * j + 1}, $${8 * j + 2}, $${8 * j + 3}, $${8 * j + 4}, $${8 * j + 5}, $${8 * j + 6}, $${8 * j + 7}, $${8 * j + 8})`).join(', ')
        await client.query(`INSERT INTO raw_candles VALUES ${values}`, part.flatMap((c) => [c.symbol, c.interval, c.ts, c.open, c.high, c.low, c.close, c.volume]))
      }
    }, figures)
    await reset()
    await timed('pg_insert_unnest', rows.length, async () => {
      for (let i = 0; i < rows.length; i += 10 * chunk) {
        const part = rows.slice(i, i + 10 * chunk)
        await client.query(
          'INSERT INTO raw_candles SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::float8[])',
          [part.map((c) => c.symbol), part.map((c) => c.interval), part.map((c) => c.ts), part.map((c) => c.open), part.map((c) => c.high), part.map((c) => c.low), part.map((c) => c.close), part.map((c) => c.volume)])
      }
    }, figures)
    if (postgresJs !== '') {
      const { default: postgres } = await import(postgresJs) as { default: (url: string, opts?: object) => any }
      const sql = postgres(url, { max: 1, onnotice: () => {} })
      try {
        await reset()
        await timed('postgresjs_copy', rows.length, async () => {
          const writable = await sql`COPY raw_candles FROM STDIN`.writable()
          await pipeline(Readable.from((function * () {
            for (let i = 0; i < rows.length; i += chunk) yield rows.slice(i, i + chunk).map((c) => `${c.symbol}\t${c.interval}\t${c.ts}\t${c.open}\t${c.high}\t${c.low}\t${c.close}\t${c.volume}\n`).join('')
          })()), writable)
        }, figures)
        await reset()
        await timed('postgresjs_insert', rows.length, async () => {
          for (let i = 0; i < rows.length; i += chunk) {
            await sql`INSERT INTO raw_candles ${sql(rows.slice(i, i + chunk).map((c) => ({ ...c })), 'symbol', 'interval', 'ts', 'open', 'high', 'low', 'close', 'volume')}`
          }
        }, figures)
      } finally {
        await sql.end()
      }
    }
    await client.query('DROP TABLE IF EXISTS raw_candles')
  } finally {
    await client.end()
  }
}

runBenchmark('postgres-store', async () => {
  const knobs = Knobs.fromArgv()
  const days = knobs.number('days', 70)
  const batch = knobs.number('batch', 50_000)
  const reads = knobs.number('reads', 200)
  const driverRows = knobs.number('driver-rows', 200_000)
  const csvRows = knobs.number('csv-rows', 200_000)
  const postgresJs = knobs.string('postgres-js', '')
  const db = await benchDatabase(knobs, 'tv_bench')
  const benchUrl = db.url
  const figures: Record<string, number> = {}
  try {
    const store = await openPostgresStore({ url: benchUrl, poolSize: 4 })
    const duck = await DuckDbCandleStore.open({ path: MEMORY_PATH, threads: 1 })
    try {
      const archive = archiveFile(csvRows)
      for (const [name, s] of [['postgres', store], ['duckdb', duck]] as const) {
        const csvStarted = performance.now()
        const [loaded] = await s.loadKlineCsv([{ path: archive.path, symbol: 'SOLUSDT', interval: '1m' }])
        const csvPerSecond = loaded!.stored / ((performance.now() - csvStarted) / 1000)
        log(`${name}: archive CSV of ${loaded!.stored} lines imported at ${Math.round(csvPerSecond)} lines/s`)
        figures[`${name}.csv_import.lines_per_s`] = Math.round(csvPerSecond)
        const w = await fill(s, days, batch)
        log(`${name}: ${w.rows} candles in ${w.seconds.toFixed(1)} s: ${Math.round(w.rows / w.seconds)} candles/s (batches of ${batch}, roll-ups included)`)
        figures[`${name}.write.candles_per_s`] = Math.round(w.rows / w.seconds)
        figures[`${name}.rows`] = w.rows
        for (const interval of ['1m', '1h', '1d'] as Interval[]) {
          await windows(s, interval, 20, days)
          const r = await windows(s, interval, reads, days)
          log(`${name}: 600 x ${interval} at a random end: p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`)
          latencyFigures(figures, `${name}.window_${interval}`, r)
        }
      }
      rmSync(archive.dir, { recursive: true, force: true })
      await drivers(benchUrl, minuteCandles('XRPUSDT', T0, T0 + driverRows * MINUTE_MS), postgresJs, figures)
    } finally {
      await store.close()
      await duck.close()
    }
  } finally {
    await db.stop()
  }
  return { figures, details: { knobs: knobs.used, note: 'store-level calls in one process, no HTTP; the PostgreSQL server runs on the same machine' } }
})
