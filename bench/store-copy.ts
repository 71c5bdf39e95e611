// `copy` between stores, candles/s: a DuckDB file of a few million 1m candles into an empty
// PostgreSQL database, then that database into a new DuckDB file, through copyStore (the loop of
// `tv-api copy`), roll-ups kept by each target as it writes. Each copy is checked complete.
// Knobs: --url postgres://... (default: a throwaway server like the tests')  --symbols 3  --days 700
// (1m candles per symbol: 1440 a day)  --batch 50000 (candles per page and write)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { DAY_MS, MINUTE_MS } from '../src/domain/intervals.js'
import { minuteCandles } from '../src/exchange/simulator/price-model.js'
import type { CandleStore } from '../src/store/candle-store.js'
import { DuckDbCandleStore } from '../src/store/duckdb/duckdb-candle-store.js'
import { openPostgresStore } from '../src/store/postgres/postgres-candle-store.js'
import { copyStore } from '../src/store/store-copy.js'
import { startPostgres } from '../test/services/postgres.js'
import { Knobs } from './lib/args.js'
import { runBenchmark } from './lib/bench-main.js'
import { log } from './lib/log.js'

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT', 'XRPUSDT']
const T0 = Date.UTC(2023, 0, 1)
const SEED_ROWS = 100_000

async function seed (store: CandleStore, symbols: readonly string[], days: number): Promise<number> {
  let rows = 0
  for (const symbol of symbols) {
    for (let t = T0; t < T0 + days * DAY_MS; t += SEED_ROWS * MINUTE_MS) {
      rows += (await store.upsertBatch(minuteCandles(symbol, t, Math.min(T0 + days * DAY_MS, t + SEED_ROWS * MINUTE_MS)))).rows
    }
  }
  await store.checkpoint()
  return rows
}

async function timedCopy (label: string, source: CandleStore, target: CandleStore, batchRows: number, rows: number, figures: Record<string, number>): Promise<void> {
  let lastLog = 0
  const report = await copyStore(source, target, {
    batchRows,
    onProgress: (p) => {
      if (p.elapsedMs - lastLog < 5000) return
      lastLog = p.elapsedMs
      log(`${label}: ${p.done} / ${p.total} (${Math.round(p.copied / (p.elapsedMs / 1000))}/s), ${p.symbol} ${p.interval}`)
    }
  })
  if (report.copied !== rows || report.total !== rows) throw new Error(`${label}: copied ${report.copied} of ${report.total}, expected ${rows}`)
  const perSecond = Math.round(report.copied / (report.elapsedMs / 1000))
  log(`${label}: ${report.copied} candles in ${(report.elapsedMs / 1000).toFixed(1)} s: ${perSecond} candles/s`)
  figures[`${label}.candles_per_s`] = perSecond
  figures[`${label}.seconds`] = Math.round(report.elapsedMs / 100) / 10
}

runBenchmark('store-copy', async () => {
  const knobs = Knobs.fromArgv()
  const symbols = SYMBOLS.slice(0, knobs.number('symbols', 3))
  const days = knobs.number('days', 700)
  const batchRows = knobs.number('batch', 50_000)
  let url = knobs.string('url', process.env.BENCH_DATABASE_URL ?? '')
  const server = url === '' ? await startPostgres() : undefined
  if (server !== undefined) url = server.url
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-copy-'))
  const figures: Record<string, number> = {}
  try {
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    await admin.query('DROP DATABASE IF EXISTS tv_bench_copy WITH (FORCE)')
    await admin.query('CREATE DATABASE tv_bench_copy')
    await admin.end()
    const benchUrl = Object.assign(new URL(url), { pathname: '/tv_bench_copy' }).toString()

    const duck = await DuckDbCandleStore.open({ path: join(dir, 'source.duckdb'), threads: 2 })
    const seedStarted = performance.now()
    const rows = await seed(duck, symbols, days)
    log(`seeded ${rows} 1m candles (${symbols.length} symbols x ${days} days) in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`)
    figures.rows = rows
    const postgres = await openPostgresStore({ url: benchUrl, poolSize: 2 })
    try {
      await timedCopy('duckdb_to_postgres', duck, postgres, batchRows, rows, figures)
      await duck.close()
      const back = await DuckDbCandleStore.open({ path: join(dir, 'back.duckdb'), threads: 2 })
      try {
        await timedCopy('postgres_to_duckdb', postgres, back, batchRows, rows, figures)
      } finally {
        await back.close()
      }
    } finally {
      await postgres.close()
      await duck.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await server?.stop()
  }
  return { figures, details: { knobs: knobs.used, note: 'copyStore in one process, no HTTP; the PostgreSQL server runs on the same machine' } }
})
