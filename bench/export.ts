// Figure 7: GET /api/v1/export of ~1.05M and ~5.26M 1m candles of one symbol in each format
// (csv, ndjson, parquet), each download against a fresh service process at the default DuckDB
// memory limit (192MB). Figures: rows/s over the whole download (request to last byte, read as
// fast as the client can) and the service's peak RSS (VmHWM, polled every 50 ms). A peak that does
// not grow with the rows exported is what "memory flat whatever the size" means here.
// Knobs: --threads 1 (the service's THREADS)
import { Knobs } from './lib/args.js'
import { serviceEntry } from './lib/build.js'
import { runBenchmark } from './lib/bench-main.js'
import { ensureStore } from './lib/datasets.js'
import { log } from './lib/log.js'
import { residentMemory, startService } from './lib/service.js'

interface Download {
  rows: number
  bytes: number
  ms: number
  peakMb: number
}

async function download (entry: string, db: string, threads: number, query: string): Promise<Download> {
  const service = await startService({ entry, duckdb: db, threads, name: 'export service' })
  let peakMb = 0
  const poll = setInterval(() => {
    residentMemory(service.pid).then((m) => { peakMb = Math.max(peakMb, m.peakMb) }, () => {})
  }, 50)
  try {
    const started = performance.now()
    const res = await fetch(`${service.origin}/api/v1/export?${query}`)
    if (!res.ok || res.body === null) throw new Error(`export ${query}: HTTP ${res.status} ${await res.text()}`)
    let bytes = 0
    let newlines = 0
    const text = !query.includes('format=parquet')
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      bytes += chunk.length
      if (text) for (const b of chunk) if (b === 10) newlines++
    }
    const ms = performance.now() - started
    peakMb = Math.max(peakMb, (await residentMemory(service.pid)).peakMb)
    return { rows: text ? newlines - (query.includes('format=csv') ? 1 : 0) : Number.NaN, bytes, ms, peakMb }
  } finally {
    clearInterval(poll)
    await service.child.stop()
  }
}

runBenchmark('export', async () => {
  const knobs = Knobs.fromArgv()
  const entry = serviceEntry(knobs.string('runtime', 'dist'))
  const threads = knobs.number('threads', 1)
  const store = await ensureStore('series')
  const sizes = {
    // The last two years, then all ten.
    '1m': { from: Date.UTC(2023, 0, 1), rows: 0 },
    '5m': { from: store.firstTs, rows: 0 }
  }
  sizes['1m'].rows = (store.lastTs - sizes['1m'].from) / 60_000 + 1
  sizes['5m'].rows = store.rows
  const figures: Record<string, number> = {}
  for (const format of ['csv', 'ndjson', 'parquet'] as const) {
    for (const [label, size] of Object.entries(sizes)) {
      const d = await download(entry, store.path, threads, `symbol=BTCUSDT&interval=1m&format=${format}&from=${size.from}`)
      if (format !== 'parquet' && d.rows !== size.rows) throw new Error(`${format} export of ${label}: ${d.rows} rows, expected ${size.rows}`)
      const rowsPerS = size.rows / (d.ms / 1000)
      log(`${format} ${size.rows} rows: ${(d.bytes / 1048576).toFixed(1)} MiB in ${(d.ms / 1000).toFixed(1)} s, ${Math.round(rowsPerS)} rows/s, peak RSS ${d.peakMb.toFixed(1)} MiB`)
      figures[`export.${format}_${label}.rows_per_s`] = rowsPerS
      figures[`export.${format}_${label}.peak_mb`] = d.peakMb
    }
  }
  figures['export.csv_peak_ratio'] = figures['export.csv_5m.peak_mb']! / figures['export.csv_1m.peak_mb']!
  return { figures, details: { knobs: knobs.used, rows: sizes, memory_limit: 'default (192MB)' } }
})
