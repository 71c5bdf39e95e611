// `tv-api import FILE|DIR...`: Binance public-archive kline files into the store.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { importArchives } from '../ingest/archive/archive-import.js'
import { parseArchiveName } from '../ingest/archive/kline-csv.js'
import { storeOptions } from '../store/store-options.js'
import { DuckDbCandleStore } from '../store/duckdb-candle-store.js'
import { cliLog, formatDuration } from './cli-log.js'
import { STORE_SETTINGS, UsageError, type Command } from './command.js'

/** Files as given, and directories expanded to the archive files inside them, sorted. */
function expand (paths: readonly string[]): string[] {
  const out: string[] = []
  for (const p of paths) {
    let isDir: boolean
    try {
      isDir = statSync(p).isDirectory()
    } catch {
      throw new UsageError(`no such file or directory: ${p}`)
    }
    if (!isDir) out.push(p)
    else out.push(...readdirSync(p).filter((f) => parseArchiveName(f) !== undefined).sort().map((f) => join(p, f)))
  }
  return out
}

export const importCommand: Command = {
  summary: 'load Binance archive kline files (CSV or zip) into the store',
  usage: 'tv-api import FILE|DIR... [settings]\n\nFiles are named as on data.binance.vision, e.g. BTCUSDT-1m-2024-01.zip or ETHUSDT-1m-2025-03-07.csv;\nopen times in milliseconds (before 2025) and microseconds (from 2025) are both understood.',
  options: {},
  settings: [...STORE_SETTINGS, 'LOG_LEVEL'],
  positionals: true,
  async run ({ config, positionals }) {
    if (positionals.length === 0) throw new UsageError('import needs at least one file or directory')
    if (config.STORAGE === 'memory') throw new UsageError('import with STORAGE=memory would be lost on exit; use --storage duck')
    const files = expand(positionals)
    if (files.length === 0) throw new UsageError('no archive files found (names like BTCUSDT-1m-2024-01.zip)')
    const log = cliLog(config.LOG_LEVEL)
    const store = await DuckDbCandleStore.open(storeOptions(config))
    try {
      const report = await importArchives(files, {
        store,
        log,
        onFile: (f, i, total) => {
          const what = f.error !== undefined ? `FAILED: ${f.error}` : `${f.read} rows, ${f.stored} stored, ${f.rejected} rejected`
          process.stdout.write(`[${i + 1}/${total}] ${f.path} (${f.symbol ?? '?'} ${f.interval ?? '?'}): ${what}\n`)
        }
      })
      const rate = Math.round(report.stored / Math.max(0.001, report.elapsedMs / 1000))
      process.stdout.write(`import done: ${report.files.length} file(s), ${report.read} rows read, ${report.stored} stored, ${report.rejected} rejected in ${formatDuration(report.elapsedMs)} (${rate} rows/s)\n`)
      for (const [reason, n] of Object.entries(report.reasons)) process.stdout.write(`  rejected ${n}: ${reason}\n`)
      return report.files.some((f) => f.error !== undefined) ? 1 : 0
    } finally {
      await store.close()
    }
  }
}
