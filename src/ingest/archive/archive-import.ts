// `import`: loads Binance archive kline files (CSV, or the zip that holds one) into the store.
// DuckDB reads and validates the lines, many files per scan; the rows then take the store's one
// write path (upsert by key, roll-ups, index, listeners), so an import is idempotent like every
// other write.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Log } from '../../log.js'
import type { Interval } from '../../domain/intervals.js'
import type { CandleStore, CsvLoadResult } from '../../store/candle-store.js'
import { parseArchiveName, startsWithHeader } from './kline-csv.js'
import { readZip } from './zip-reader.js'

export interface FileReport {
  path: string
  symbol?: string
  interval?: string
  read: number
  stored: number
  rejected: number
  error?: string
}

export interface ImportReport {
  files: FileReport[]
  read: number
  stored: number
  rejected: number
  /** Rejected rows by reason. */
  reasons: Record<string, number>
  elapsedMs: number
}

export interface ImportOptions {
  store: CandleStore
  log: Log
  onFile?: (file: FileReport, index: number, total: number) => void
  /**
   * Whether a write error ends the whole import (rethrown) instead of failing the files being
   * loaded, e.g. a store that refuses every write from now on.
   */
  ends?: (err: unknown) => boolean
}

function readHead (path: string): string {
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.alloc(512)
    return buf.toString('utf8', 0, readSync(fd, buf, 0, buf.length, 0))
  } finally {
    closeSync(fd)
  }
}

/**
 * Files loaded in one DuckDB scan and transaction: about 500k one-minute rows. Smaller batches,
 * each checkpointed, keep the insert's working set inside a 192 MB DuckDB memory limit; a single
 * 200 MB batch spilled and ran ~20% slower.
 */
const BATCH_BYTES = 48 * 1024 * 1024

interface PreparedCsv {
  file: FileReport
  path: string
  symbol: string
  interval: Interval
  skipLines: number
  bytes: number
  temporary: boolean
}

export async function importArchives (paths: readonly string[], opts: ImportOptions): Promise<ImportReport> {
  const started = Date.now()
  const report: ImportReport = { files: [], read: 0, stored: 0, rejected: 0, reasons: {}, elapsedMs: 0 }
  const scratch = mkdtempSync(join(tmpdir(), 'tv-import-'))
  let batch: PreparedCsv[] = []
  let batchBytes = 0
  let done = 0

  const apply = (csv: PreparedCsv, r: CsvLoadResult) => {
    csv.file.read += r.rows
    csv.file.stored += r.stored
    for (const [reason, n] of r.rejected) {
      csv.file.rejected += n
      report.reasons[reason] = (report.reasons[reason] ?? 0) + n
    }
  }
  const load = async (csvs: PreparedCsv[]) => {
    const results = await opts.store.loadKlineCsv(csvs.map((c) => ({ path: c.path, symbol: c.symbol, interval: c.interval, skipLines: c.skipLines })))
    csvs.forEach((c, i) => apply(c, results[i]!))
  }
  const flush = async () => {
    if (batch.length === 0) return
    const csvs = batch
    batch = []
    batchBytes = 0
    try {
      await load(csvs)
      await opts.store.checkpoint()
    } catch (err) {
      if (opts.ends?.(err) === true) throw err
      // One unreadable file fails the whole scan: load them one by one to find it.
      for (const c of csvs) {
        try {
          await load([c])
        } catch (err) {
          if (opts.ends?.(err) === true) throw err
          c.file.error = (err as Error).message.split('\n')[0]
          // Reported once, by the caller, through the file's report.
          opts.log.debug({ path: c.file.path, err: c.file.error }, 'import of a file failed')
        }
      }
    }
    for (const c of csvs) if (c.temporary) rmSync(c.path, { force: true })
    for (const file of new Set(csvs.map((c) => c.file))) finish(file)
  }
  const finish = (file: FileReport) => {
    report.read += file.read
    report.stored += file.stored
    report.rejected += file.rejected
    opts.onFile?.(file, done++, paths.length)
  }

  try {
    for (const [index, path] of paths.entries()) {
      const file: FileReport = { path, read: 0, stored: 0, rejected: 0 }
      report.files.push(file)
      const prepared: PreparedCsv[] = []
      try {
        const name = parseArchiveName(path)
        if (name === undefined) throw new Error('the file name does not say the symbol and interval; expected e.g. BTCUSDT-1m-2024-01.csv or .zip')
        file.symbol = name.symbol
        file.interval = name.interval
        const add = (csvPath: string, head: string, bytes: number, temporary: boolean) =>
          prepared.push({ file, path: csvPath, symbol: name.symbol, interval: name.interval, skipLines: startsWithHeader(head) ? 1 : 0, bytes, temporary })
        if (path.toLowerCase().endsWith('.zip')) {
          // DuckDB reads files, not zips: a zipped CSV is inflated into a scratch folder first.
          for (const entry of readZip(await readFile(path)).filter((e) => e.name.toLowerCase().endsWith('.csv'))) {
            const out = join(scratch, `${index}-${prepared.length}.csv`)
            writeFileSync(out, entry.data)
            add(out, entry.data.subarray(0, 512).toString('utf8'), entry.data.length, true)
          }
          if (prepared.length === 0) throw new Error('the zip holds no .csv file')
        } else {
          add(path, readHead(path), statSync(path).size, false)
        }
      } catch (err) {
        file.error = (err as Error).message.split('\n')[0]
        opts.log.debug({ path, err: file.error }, 'import of a file failed')
        finish(file)
        continue
      }
      for (const csv of prepared) {
        batch.push(csv)
        batchBytes += csv.bytes
      }
      if (batchBytes >= BATCH_BYTES) await flush()
    }
    await flush()
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  report.elapsedMs = Date.now() - started
  return report
}
