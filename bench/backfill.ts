// Figure 5a: `tv-api backfill` paging history (REST pages of 1000 klines) from the Binance
// simulator running as its own process into a fresh DuckDB file, then the same into a fresh
// PostgreSQL database (BENCH_DATABASE_URL / --url, or a throwaway server; skipped with a note when
// neither PostgreSQL nor the URL is there).
// Figures: the command's own candles/s (stored candles over its backfill time, as it prints) and
// candles over the whole wall time of the command (process start, store open, exchange connect,
// backfill, close).
// Knobs: --days 60  --symbols BTCUSDT,ETHUSDT  --threads 2  --url postgres://...
import { Knobs } from './lib/args.js'
import { serviceEntry } from './lib/build.js'
import { runBenchmark } from './lib/bench-main.js'
import { removeTmpDb, tmpDbPath } from './lib/datasets.js'
import { log } from './lib/log.js'
import { runToExit, startNode } from './lib/processes.js'
import { median } from './lib/stats.js'
import { benchDatabase } from './lib/shared-services.js'
import { postgresSkip } from '../test/services/postgres.js'

const DAY = 86_400_000

runBenchmark('backfill', async () => {
  const knobs = Knobs.fromArgv()
  const entry = serviceEntry(knobs.string('runtime', 'dist'))
  const days = knobs.number('days', 60)
  const symbols = knobs.list('symbols', ['BTCUSDT', 'ETHUSDT'])
  const threads = knobs.number('threads', 2)

  const sim = startNode('simulator', entry, ['simulator', '--host', '127.0.0.1', '--port', '0', '--speed', '1', '--symbols', symbols.join(','), '--log-level', 'warn'])
  const [, restUrl, wsUrl] = await sim.waitForLine(/REST (http:\/\/\S+)\s+WS (ws:\/\/\S+)/, 60_000)
  log(`simulator at ${restUrl!}`)
  const db = tmpDbPath('backfill')
  const from = Date.now() - days * DAY
  /** Runs one backfill into the store `storage` names; its own candles/s and the wall-time rate. */
  const backfill = async (what: string, storage: string[]) => {
    const r = await runToExit('backfill', entry, [
      'backfill', '--binance-rest-url', restUrl!, '--binance-ws-url', wsUrl!, ...storage,
      '--symbols', symbols.join(','), '--intervals', '1m', '--from', String(from), '--threads', String(threads), '--log-level', 'warn'
    ], 600_000)
    const done = r.stdout.map((l) => /backfill done: (\d+) candles stored, (\d+) rejected in \S+ \((\d+) candles\/s\)/.exec(l)).find((m) => m !== null)
    if (done === undefined) throw new Error(`no summary line from backfill into ${what}:\n${r.stdout.join('\n')}`)
    const stored = Number(done[1])
    const own = Number(done[3])
    log(`backfill into ${what} stored ${stored} candles: ${own} candles/s by its own count, ${Math.round(stored / (r.wallMs / 1000))} candles/s over ${(r.wallMs / 1000).toFixed(2)} s of wall time`)
    if (stored < days * 1440 * symbols.length * 0.99) throw new Error(`backfill into ${what} stored only ${stored} candles`)
    return { stored, own, rejected: Number(done[2]), wallS: r.wallMs / 1000, summary: done[0] }
  }
  try {
    const duck = await backfill('DuckDB', ['--duckdb', db])
    let pg: Awaited<ReturnType<typeof backfill>> | undefined
    if (knobs.string('url', process.env.BENCH_DATABASE_URL ?? '') !== '' || postgresSkip() === false) {
      const database = await benchDatabase(knobs, 'tv_bench_backfill')
      try {
        pg = await backfill('PostgreSQL', ['--storage', 'postgres', '--database-url', database.url])
      } finally {
        await database.stop()
      }
    } else {
      log(`backfill into PostgreSQL skipped: ${String(postgresSkip())}`)
    }
    // How long the simulator alone takes to produce one page, asked directly: the share of the
    // backfill's time spent on the exchange side of the wire.
    const pageMs: number[] = []
    for (let i = 0; i < 10; i++) {
      const start = performance.now()
      const res = await fetch(`${restUrl!}/api/v3/klines?symbol=${symbols[0]!}&interval=1m&limit=1000&startTime=${from + i * 60_000_000}`)
      if ((await res.json() as unknown[]).length !== 1000) throw new Error('the simulator did not answer a page of 1000')
      pageMs.push(performance.now() - start)
    }
    const simPageMs = median(pageMs)
    log(`the simulator alone answers a page of 1000 in ${simPageMs.toFixed(1)} ms (at most ${Math.round(1000 / simPageMs * 1000)} candles/s one page at a time)`)
    return {
      figures: {
        'backfill.candles_per_s': duck.own,
        'backfill.wall_candles_per_s': duck.stored / duck.wallS,
        'backfill.candles': duck.stored,
        'backfill.rejected': duck.rejected,
        'backfill.wall_s': duck.wallS,
        'backfill.own_s': duck.stored / duck.own,
        'backfill.sim_page_ms': simPageMs,
        ...(pg === undefined
          ? {}
          : { 'backfill.pg_candles_per_s': pg.own, 'backfill.pg_wall_candles_per_s': pg.stored / pg.wallS, 'backfill.pg_candles': pg.stored, 'backfill.pg_wall_s': pg.wallS })
      },
      details: { knobs: knobs.used, summary: duck.summary, postgres: pg?.summary ?? 'skipped: no PostgreSQL' }
    }
  } finally {
    await sim.stop()
    removeTmpDb(db)
  }
})
