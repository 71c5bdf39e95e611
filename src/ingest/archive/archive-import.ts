// `import`: loads Binance archive kline files (CSV, or the zip that holds one) into the store
// through the same upsert as every other writer, counting what was read, stored and rejected.
import { readFile } from 'node:fs/promises'
import type { Log } from '../../log.js'
import type { CandleStore } from '../../store/candle-store.js'
import { parseArchiveName, parseKlineCsv } from './kline-csv.js'
import { readZip } from './zip-reader.js'

const BATCH = 50_000

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
}

export async function importArchives (paths: readonly string[], opts: ImportOptions): Promise<ImportReport> {
  const started = Date.now()
  const report: ImportReport = { files: [], read: 0, stored: 0, rejected: 0, reasons: {}, elapsedMs: 0 }
  for (const [index, path] of paths.entries()) {
    const file: FileReport = { path, read: 0, stored: 0, rejected: 0 }
    report.files.push(file)
    try {
      const name = parseArchiveName(path)
      if (name === undefined) throw new Error('the file name does not say the symbol and interval; expected e.g. BTCUSDT-1m-2024-01.csv or .zip')
      file.symbol = name.symbol
      file.interval = name.interval
      const bytes = await readFile(path)
      const texts = path.toLowerCase().endsWith('.zip')
        ? readZip(bytes).filter((e) => e.name.toLowerCase().endsWith('.csv')).map((e) => e.data.toString('utf8'))
        : [bytes.toString('utf8')]
      if (texts.length === 0) throw new Error('the zip holds no .csv file')
      for (const text of texts) {
        const parsed = parseKlineCsv(text, name.symbol, name.interval)
        file.read += parsed.rows
        for (const [reason, n] of parsed.rejected) {
          file.rejected += n
          report.reasons[reason] = (report.reasons[reason] ?? 0) + n
        }
        for (let i = 0; i < parsed.candles.length; i += BATCH) {
          file.stored += (await opts.store.upsertBatch(parsed.candles.slice(i, i + BATCH))).rows
        }
      }
    } catch (err) {
      file.error = (err as Error).message
      opts.log.error({ path, err: file.error }, 'import of a file failed')
    }
    report.read += file.read
    report.stored += file.stored
    report.rejected += file.rejected
    opts.onFile?.(file, index, paths.length)
  }
  report.elapsedMs = Date.now() - started
  return report
}
