// `tv-api copy --from SRC --to DST`: every stored candle from one store into another, each a
// DuckDB file or a PostgreSQL URL. A progress line goes to stderr, the summary to stdout; Ctrl-C
// stops between batches and a new run resumes from what the target holds. A PostgreSQL target is
// written under the ingest leader lock (writer-lock.ts).
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Config } from '../config.js'
import { maskPassword } from '../settings/parse-setting.js'
import type { CandleStore } from '../store/candle-store.js'
import { StorageError } from '../store/duckdb/database-folder.js'
import { DuckDbCandleStore } from '../store/duckdb/duckdb-candle-store.js'
import { firstLine, openPostgres } from '../store-settings.js'
import { COPY_BATCH_ROWS, copyStore, type CopyProgress, type CopyReport } from '../store/store-copy.js'
import { formatDuration } from './cli-log.js'
import { CliError, EXIT, UsageError, type Command } from './command.js'
import { lockCopyTarget, lockLost, type StoreWriterLock } from './writer-lock.js'

const POSTGRES_URL = /^postgres(ql)?:\/\//i

/** Where a store is, as given on the command line. */
type StoreLocation = { kind: 'postgres', url: string, shown: string } | { kind: 'duckdb', path: string, shown: string }

function location (text: string | undefined, option: 'from' | 'to'): StoreLocation {
  const v = text?.trim() ?? ''
  if (v === '') throw new UsageError(`copy needs --${option} (a DuckDB file such as data/market.duckdb, or postgres://user@host/db)`)
  if (POSTGRES_URL.test(v)) return { kind: 'postgres', url: v, shown: maskPassword(v) }
  return { kind: 'duckdb', path: resolve(v), shown: resolve(v) }
}

const COPY_POSTGRES_ADVICE = 'check that PostgreSQL runs, is reachable from here and accepts this user and database, or fix the URL'

/** Opens one side; a store that cannot be opened is one line and exit 4. */
async function openStore (at: StoreLocation, config: Config, isSource: boolean): Promise<CandleStore> {
  if (at.kind === 'postgres') {
    return await openPostgres({ url: at.url, poolSize: 2, connectTimeoutMs: 10_000, applicationName: 'tv-api copy' }, COPY_POSTGRES_ADVICE)
  }
  if (isSource && !existsSync(at.path)) throw new CliError(`no database at ${at.path}; --from names an existing DuckDB file or a postgres:// URL`, EXIT.STORAGE)
  try {
    return await DuckDbCandleStore.open({ path: at.path, threads: config.THREADS, memoryLimit: config.DUCKDB_MEMORY_LIMIT })
  } catch (err) {
    if (err instanceof StorageError) throw new CliError(`${err.message}${err.hint === undefined ? '' : `; ${err.hint}`}`, EXIT.STORAGE)
    throw new CliError(`cannot open the database ${at.path}: ${firstLine(err)}`, EXIT.STORAGE)
  }
}

const count = (n: number) => n.toLocaleString('en-US')

function rate (perSecond: number): string {
  return perSecond >= 10_000 ? `${Math.round(perSecond / 1000)}k/s` : `${Math.round(perSecond)}/s`
}

function progressLine (p: CopyProgress): string {
  return `copied ${count(p.done)} / ${count(p.total)} candles (${rate(p.copied / Math.max(0.001, p.elapsedMs / 1000))}), ${p.symbol} ${p.interval}`
}

/**
 * The progress line on stderr: rewritten in place on a terminal, else a line every 5 s; `end()`
 * writes the last state once more, whatever the time.
 */
function stderrProgress (): { update: (p: CopyProgress) => void, end: () => void } {
  const tty = process.stderr.isTTY
  let last = 0
  let latest: CopyProgress | undefined
  const write = (p: CopyProgress, final: boolean) => {
    process.stderr.write(tty ? `\r\u001b[2K${progressLine(p)}${final ? '\n' : ''}` : `${progressLine(p)}\n`)
  }
  return {
    update: (p) => {
      latest = p
      const now = Date.now()
      if (now - last < (tty ? 250 : 5000)) return
      last = now
      write(p, false)
    },
    end: () => { if (latest !== undefined) write(latest, true) }
  }
}

function parseBatch (text: string | undefined): number {
  if (text === undefined) return COPY_BATCH_ROWS
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < 1 || n > 100_000) throw new UsageError(`invalid value "${text}" for --batch: a whole number of candles from 1 to 100000`)
  return n
}

export const copyCommand: Command = {
  summary: 'copy every stored candle between stores (DuckDB file or PostgreSQL URL, either way; resumable)',
  usage: 'tv-api copy --from SRC --to DST [--batch 50000] [settings]\n\n' +
    'SRC and DST are each a DuckDB file or a postgres:// URL, e.g. --from data/market.duckdb --to postgres://tv@db/tv.\n' +
    'Every series stored as such is copied (1m, and 1h/1d/... series an import stored); the target rolls up the rest itself.\n' +
    'Bars the target already holds are kept, so running it again after an interruption continues where it stopped.\n' +
    'A DuckDB file is locked while a service has it open: stop that service first.\n' +
    'A PostgreSQL target is written under the ingest leader lock: copy is refused while an ingest leader writes there,\n' +
    'and ingest processes stand by while copy runs, taking over when it ends.',
  options: {
    FROM: { description: 'The store to read: a DuckDB file or a postgres:// URL' },
    TO: { description: 'The store to write: a DuckDB file (created when absent) or a postgres:// URL' },
    BATCH: { description: 'Candles per write transaction of the target (1 to 100000)', default: String(COPY_BATCH_ROWS) }
  },
  settings: ['THREADS', 'DUCKDB_MEMORY_LIMIT'],
  async run ({ config, options, positionals }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
    const from = location(options.get('FROM'), 'from')
    const to = location(options.get('TO'), 'to')
    const batchRows = parseBatch(options.get('BATCH'))
    if ((from.kind === 'duckdb' ? from.path : from.url) === (to.kind === 'duckdb' ? to.path : to.url)) {
      throw new UsageError('--from and --to name the same store')
    }
    const source = await openStore(from, config, true)
    let target: CandleStore | undefined
    const stop = new AbortController()
    const onSigint = () => {
      if (stop.signal.aborted) process.exit(EXIT.INTERRUPTED)
      stop.abort()
      process.stderr.write('\nstopping after the batch being written (Ctrl-C again to quit at once)\n')
    }
    process.on('SIGINT', onSigint)
    let lock: StoreWriterLock | undefined
    try {
      target = await openStore(to, config, false)
      lock = await lockCopyTarget(target, to.shown)
      process.stdout.write(`copy from ${from.shown} to ${to.shown}\n`)
      const progress = stderrProgress()
      let copied = 0
      const onProgress = (p: CopyProgress) => {
        copied = p.copied
        progress.update(p)
      }
      let report: CopyReport
      try {
        report = await copyStore(source, target, { batchRows, signal: stop.signal, onProgress })
      } catch (err) {
        const lost = lock?.lostReason(err)
        if (lost === undefined) throw err
        progress.end()
        throw lockLost('copy', to.shown, lost, `${count(copied)} candles were copied`, 'run the same command again to continue where it stopped')
      }
      progress.end()
      const summary = `${count(report.copied)} of ${count(report.total)} candles copied in ${formatDuration(report.elapsedMs)} (${rate(report.copied / Math.max(0.001, report.elapsedMs / 1000))})`
      if (report.interrupted) {
        process.stdout.write(`copy interrupted: ${summary}; run the same command again to continue where it stopped\n`)
        return EXIT.INTERRUPTED
      }
      for (const s of report.series) {
        process.stdout.write(`  ${s.symbol} ${s.interval}: ${count(s.source)} candles, ${count(s.copied)} copied, ${count(s.source - s.copied)} already there\n`)
      }
      process.stdout.write(`copy done: ${summary}; ${count(report.total - report.copied)} were in the target already\n`)
      return EXIT.OK
    } finally {
      process.off('SIGINT', onSigint)
      // The lock first: ingest processes standing by take over as soon as the copy ends.
      await lock?.release()
      await target?.close()
      await source.close()
    }
  }
}
