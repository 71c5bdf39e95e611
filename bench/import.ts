// Figure 5b: `tv-api import` of Binance archive CSV files (36 monthly files, ~1.58M rows, ms and
// µs timestamps) into a fresh DuckDB file. Figures: the command's own rows/s (rows stored over its
// import time, as it prints) and rows over the whole wall time of the command.
// Knobs: --threads 2
import { Knobs } from './lib/args.js'
import { serviceEntry } from './lib/build.js'
import { runBenchmark } from './lib/bench-main.js'
import { ensureArchive, removeTmpDb, tmpDbPath } from './lib/datasets.js'
import { log } from './lib/log.js'
import { runToExit } from './lib/processes.js'

runBenchmark('import', async () => {
  const knobs = Knobs.fromArgv()
  const entry = serviceEntry(knobs.string('runtime', 'dist'))
  const threads = knobs.number('threads', 2)
  const archive = await ensureArchive()
  const db = tmpDbPath('import')
  try {
    const r = await runToExit('import', entry, ['import', archive.dir, '--duckdb', db, '--threads', String(threads), '--log-level', 'warn'], 600_000)
    const done = r.stdout.map((l) => /import done: (\d+) file\(s\), (\d+) rows read, (\d+) stored, (\d+) rejected in \S+ \((\d+) rows\/s\)/.exec(l)).find((m) => m !== null)
    if (done === undefined) throw new Error(`no summary line from import:\n${r.stdout.join('\n')}`)
    const stored = Number(done[3])
    const own = Number(done[5])
    if (stored !== archive.rows) throw new Error(`import stored ${stored} rows, expected ${archive.rows}`)
    log(`import stored ${stored} rows from ${done[1]} files: ${own} rows/s by its own count, ${Math.round(stored / (r.wallMs / 1000))} rows/s over ${(r.wallMs / 1000).toFixed(2)} s of wall time`)
    return {
      figures: {
        'import.rows_per_s': own,
        'import.wall_rows_per_s': stored / (r.wallMs / 1000),
        'import.rows': stored,
        'import.rejected': Number(done[4]),
        'import.wall_s': r.wallMs / 1000,
        'import.own_s': stored / own
      },
      details: { knobs: knobs.used, files: archive.files.length, summary: done[0] }
    }
  } finally {
    removeTmpDb(db)
  }
})
