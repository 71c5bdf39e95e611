// `copy` between stores, candles/s: a DuckDB file of a few million 1m candles into an empty
// PostgreSQL database, then that database into a new DuckDB file, through copyStore (the loop of
// `tv-api copy`), roll-ups kept by each target as it writes. Each copy is checked complete.
// The machine is often shared, so besides wall-clock candles/s each copy reports the CPU it took
// (this process, DuckDB's threads included, plus the PostgreSQL backends serving it, from /proc):
// candles per CPU-second is what the copy reaches when nothing else runs and the two sides do not
// overlap at all, a floor for an idle machine.
// Knobs: --url postgres://... (default: a throwaway server like the tests')  --symbols 3  --days 700
// (1m candles per symbol: 1440 a day)  --batch 50000 (candles per page and write)
import { mkdtempSync, rmSync } from 'node:fs'
import os, { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DAY_MS, MINUTE_MS } from '../src/domain/intervals.js'
import { minuteCandles } from '../src/exchange/simulator/price-model.js'
import type { CandleStore } from '../src/store/candle-store.js'
import { DuckDbCandleStore } from '../src/store/duckdb/duckdb-candle-store.js'
import { openPostgresStore } from '../src/store/postgres/postgres-candle-store.js'
import { copyStore } from '../src/store/store-copy.js'
import { Knobs } from './lib/args.js'
import { runBenchmark } from './lib/bench-main.js'
import { log } from './lib/log.js'
import { backendCpuSince, benchDatabase } from './lib/shared-services.js'

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

async function timedCopy (
  label: string, source: CandleStore, target: CandleStore, batchRows: number, rows: number,
  cpu: () => Promise<Map<number, number>>, figures: Record<string, number>
): Promise<void> {
  const serverBefore = await cpu()
  const processBefore = process.cpuUsage()
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
  const processUsage = process.cpuUsage(processBefore)
  const processMs = (processUsage.user + processUsage.system) / 1000
  const serverMs = backendCpuSince(serverBefore, await cpu())
  const perSecond = Math.round(report.copied / (report.elapsedMs / 1000))
  const perCpuSecond = Math.round(report.copied / ((processMs + serverMs) / 1000))
  log(`${label}: ${report.copied} candles in ${(report.elapsedMs / 1000).toFixed(1)} s: ${perSecond} candles/s; ` +
    `CPU ${(processMs / 1000).toFixed(1)} s here + ${(serverMs / 1000).toFixed(1)} s in PostgreSQL: ${perCpuSecond} candles per CPU-second (load ${os.loadavg()[0]!.toFixed(1)})`)
  figures[`${label}.candles_per_s`] = perSecond
  figures[`${label}.candles_per_cpu_s`] = perCpuSecond
  figures[`${label}.seconds`] = Math.round(report.elapsedMs / 100) / 10
}

runBenchmark('store-copy', async () => {
  const knobs = Knobs.fromArgv()
  const symbols = SYMBOLS.slice(0, knobs.number('symbols', 3))
  const days = knobs.number('days', 700)
  const batchRows = knobs.number('batch', 50_000)
  const db = await benchDatabase(knobs, 'tv_bench_copy')
  const benchUrl = db.url
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-copy-'))
  const figures: Record<string, number> = {}
  try {
    const duck = await DuckDbCandleStore.open({ path: join(dir, 'source.duckdb'), threads: 2 })
    const seedStarted = performance.now()
    const rows = await seed(duck, symbols, days)
    log(`seeded ${rows} 1m candles (${symbols.length} symbols x ${days} days) in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`)
    figures.rows = rows
    const postgres = await openPostgresStore({ url: benchUrl, poolSize: 2 })
    try {
      const cpu = db.backendCpu
      await timedCopy('duckdb_to_postgres', duck, postgres, batchRows, rows, cpu, figures)
      await duck.close()
      const back = await DuckDbCandleStore.open({ path: join(dir, 'back.duckdb'), threads: 2 })
      try {
        await timedCopy('postgres_to_duckdb', postgres, back, batchRows, rows, cpu, figures)
      } finally {
        await back.close()
      }
    } finally {
      await postgres.close()
      await duck.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await db.stop()
  }
  return { figures, details: { knobs: knobs.used, note: 'copyStore in one process, no HTTP; the PostgreSQL server runs on the same machine' } }
})
