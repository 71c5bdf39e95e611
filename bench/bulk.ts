// Figure 5c: bulk writes at the default DuckDB memory limit (DUCKDB_MEMORY_LIMIT=192MB): `tv-api
// seed` of ~1.05M and ~5.26M 1m candles, then `tv-api backup` of the larger file and `tv-api
// restore` of that backup, each into a fresh file. Figures: the peak RSS (VmHWM, polled from
// /proc while the command runs) of each command and rows/s over its wall time. Peak RSS that does
// not grow with the rows written is what "bounded batches" means here.
// Knobs: --threads 2
import { readFileSync, rmSync } from 'node:fs'
import { Knobs } from './lib/args.js'
import { serviceEntry } from './lib/build.js'
import { runBenchmark } from './lib/bench-main.js'
import { STORES, lastOpenTime, removeTmpDb, tmpDbPath } from './lib/datasets.js'
import { log } from './lib/log.js'
import { startNode } from './lib/processes.js'

interface Measured {
  stdout: string[]
  wallMs: number
  peakMb: number
}

/** VmHWM of a live process in MiB (undefined once it is gone, or off Linux). */
function peakOf (pid: number): number | undefined {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb === undefined ? undefined : Number(kb) / 1024
  } catch {
    return undefined
  }
}

/** Runs a CLI command to completion, polling its peak RSS; rejects on a non-zero exit or a timeout. */
async function measured (name: string, entry: string, args: readonly string[], timeoutMs = 900_000): Promise<Measured> {
  const started = performance.now()
  const child = startNode(name, entry, args)
  const stdout: string[] = []
  child.onLine((line, stream) => { if (stream === 'stdout') stdout.push(line) })
  let peakMb = 0
  const poll = setInterval(() => { peakMb = Math.max(peakMb, peakOf(child.pid) ?? 0) }, 50)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs) })
  const exit = await Promise.race([child.exited, timeout])
  clearInterval(poll)
  clearTimeout(timer)
  if (exit === 'timeout') {
    await child.stop(2000)
    throw new Error(`${name} did not finish within ${timeoutMs} ms`)
  }
  await new Promise((resolve) => setImmediate(resolve))
  if (exit.code !== 0) throw new Error(`${name} exited with code ${exit.code} (signal ${exit.signal})\n${child.tail.slice(-30).join('\n')}`)
  return { stdout, wallMs: performance.now() - started, peakMb }
}

runBenchmark('bulk', async () => {
  const knobs = Knobs.fromArgv()
  const entry = serviceEntry(knobs.string('runtime', 'dist'))
  const threads = String(knobs.number('threads', 2))
  const figures: Record<string, number> = {}
  const files: string[] = []
  const backupDir = `${tmpDbPath('bulk-backup')}.dir`
  try {
    for (const [label, spec] of [['1m', STORES.small], ['5m', STORES.large]] as const) {
      const db = tmpDbPath(`bulk-seed-${label}`)
      files.push(db)
      const r = await measured(`seed ${spec.name}`, entry, [
        'seed', '--duckdb', db, '--symbols', spec.symbols.join(','), '--from', spec.from, '--to', lastOpenTime(spec), '--threads', threads, '--log-level', 'warn'
      ])
      const rows = Number(/seeded (\d+) candles/.exec(r.stdout.join('\n'))?.[1] ?? Number.NaN)
      if (!Number.isFinite(rows)) throw new Error(`no summary line from seed:\n${r.stdout.join('\n')}`)
      log(`seed of ${rows} rows: peak RSS ${r.peakMb.toFixed(1)} MiB, ${(r.wallMs / 1000).toFixed(1)} s`)
      figures[`bulk.seed_${label}.peak_mb`] = r.peakMb
      figures[`bulk.seed_${label}.rows`] = rows
      figures[`bulk.seed_${label}.rows_per_s`] = rows / (r.wallMs / 1000)
    }
    figures['bulk.seed_peak_ratio'] = figures['bulk.seed_5m.peak_mb']! / figures['bulk.seed_1m.peak_mb']!

    const large = files[1]!
    await measured('backup', entry, ['backup', '--duckdb', large, '--out', backupDir, '--threads', threads, '--log-level', 'warn'])
    const restored = tmpDbPath('bulk-restore')
    files.push(restored)
    const r = await measured('restore', entry, ['restore', '--from', backupDir, '--duckdb', restored, '--threads', threads, '--log-level', 'warn'])
    log(`restore of the 5M-row backup: peak RSS ${r.peakMb.toFixed(1)} MiB, ${(r.wallMs / 1000).toFixed(1)} s`)
    figures['bulk.restore_5m.peak_mb'] = r.peakMb
    figures['bulk.restore_5m.rows_per_s'] = figures['bulk.seed_5m.rows']! / (r.wallMs / 1000)
    return { figures, details: { knobs: knobs.used, memory_limit: 'default (192MB)' } }
  } finally {
    for (const f of files) removeTmpDb(f)
    rmSync(backupDir, { recursive: true, force: true })
  }
})
