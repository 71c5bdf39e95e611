// `tv-api import FILE|DIR...`: Binance public-archive kline files into the store. A PostgreSQL
// store is written under the ingest leader lock (writer-lock.ts).
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { importArchives } from '../ingest/archive/archive-import.js'
import { maskPassword } from '../settings/parse-setting.js'
import { openConfiguredStore } from '../store-settings.js'
import { cliLog, formatDuration } from './cli-log.js'
import { CliError, EXIT, STORE_SETTINGS, UsageError, type Command } from './command.js'
import { lockLost, lockStoreWriter, type StoreWriterLock } from './writer-lock.js'

const ARCHIVE_EXT = /\.(csv|zip)$/i

interface Expanded {
  /** Files to import: as given, and every .csv/.zip inside a directory (a bad name is reported). */
  files: string[]
  /** Other files found in the directories, left alone but listed. */
  ignored: string[]
}

function expand (paths: readonly string[]): Expanded {
  const out: Expanded = { files: [], ignored: [] }
  for (const p of paths) {
    let isDir: boolean
    try {
      isDir = statSync(p).isDirectory()
    } catch {
      throw new UsageError(`no such file or directory: ${p}`)
    }
    if (!isDir) {
      out.files.push(p)
      continue
    }
    for (const entry of readdirSync(p, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.isFile()) continue
      if (ARCHIVE_EXT.test(entry.name)) out.files.push(join(p, entry.name))
      else out.ignored.push(join(p, entry.name))
    }
  }
  return out
}

export const importCommand: Command = {
  summary: 'load Binance archive kline files (CSV or zip) into the store',
  usage: 'tv-api import FILE|DIR... [settings]\n\nFiles are named as on data.binance.vision, e.g. BTCUSDT-1m-2024-01.zip or ETHUSDT-1m-2025-03-07.csv;\nopen times in milliseconds (before 2025) and microseconds (from 2025) are both understood.\n' +
    'A PostgreSQL store is written under the ingest leader lock: import is refused while an ingest leader writes there,\n' +
    'and ingest processes stand by while it runs, taking over when it ends.',
  options: {},
  settings: [...STORE_SETTINGS, 'LOG_LEVEL'],
  positionals: true,
  async run ({ config, positionals }) {
    if (positionals.length === 0) throw new UsageError('import needs at least one file or directory')
    if (config.STORAGE === 'memory') throw new UsageError('import with STORAGE=memory would be lost on exit; use --storage duck')
    const { files, ignored } = expand(positionals)
    if (ignored.length > 0) {
      const shown = ignored.slice(0, 5).join(', ')
      process.stdout.write(`ignored ${ignored.length} file(s) that are not .csv or .zip: ${shown}${ignored.length > 5 ? ', ...' : ''}\n`)
    }
    if (files.length === 0) throw new UsageError('no archive files found (.csv or .zip named like BTCUSDT-1m-2024-01.zip)')
    const log = cliLog(config.LOG_LEVEL)
    const store = await openConfiguredStore(config)
    const shown = maskPassword(config.DATABASE_URL)
    let lock: StoreWriterLock | undefined
    try {
      lock = await lockStoreWriter('import', store, shown)
      let report
      try {
        report = await importArchives(files, {
          store,
          log,
          // A lost lock refuses every later write: the import ends rather than fail each file.
          ends: (err) => lock?.lostReason(err) !== undefined,
          onFile: (f, i, total) => {
            const what = f.error !== undefined ? `FAILED: ${f.error}` : `${f.read} rows, ${f.stored} stored, ${f.rejected} rejected`
            process.stdout.write(`[${i + 1}/${total}] ${f.path} (${f.symbol ?? '?'} ${f.interval ?? '?'}): ${what}\n`)
          }
        })
      } catch (err) {
        const lost = lock?.lostReason(err)
        if (lost === undefined) throw err
        // Every write is an upsert by key: loading a file again stores the same candles.
        throw lockLost('import', shown, lost, `${lock!.written()} candles were stored`, 'run the same command again to load every file (what is stored already is written again, unchanged)')
      }
      const rate = Math.round(report.stored / Math.max(0.001, report.elapsedMs / 1000))
      process.stdout.write(`import done: ${report.files.length} file(s), ${report.read} rows read, ${report.stored} stored, ${report.rejected} rejected in ${formatDuration(report.elapsedMs)} (${rate} rows/s)\n`)
      for (const [reason, n] of Object.entries(report.reasons)) process.stdout.write(`  rejected ${n}: ${reason}\n`)
      // A file that stored nothing (all garbage, empty, misnamed) is a failure, not a success.
      const failed = report.files.filter((f) => f.error !== undefined || f.stored === 0)
      if (failed.length > 0) {
        throw new CliError(`import incomplete: ${failed.length} of ${report.files.length} file(s) failed or stored no candle (${failed.slice(0, 3).map((f) => f.path).join(', ')}${failed.length > 3 ? ', ...' : ''})`, EXIT.IMPORT_INCOMPLETE)
      }
      return EXIT.OK
    } finally {
      // The lock first: ingest processes standing by take over as soon as the import ends.
      await lock?.release()
      await store.close()
    }
  }
}
