// `tv-api export`: every candle of a range from the store into a CSV, NDJSON or Parquet file, the
// same bytes GET /api/v1/export streams, without going through HTTP. Progress goes to stderr, so
// `--out -` can send CSV or NDJSON to stdout.
import { createWriteStream, existsSync, renameSync, rmSync } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { isInterval } from '../domain/intervals.js'
import { normalizeSymbol } from '../domain/symbols.js'
import { isoUtc } from '../domain/time.js'
import { EXPORT_FORMATS, encodePages, exportFileName, type ExportFormat } from '../export/export-format.js'
import { barsInSpan } from '../export/export-request.js'
import { parseBoolean } from '../domain/boolean-words.js'
import { openConfiguredStore } from '../store-settings.js'
import { formatDuration } from './cli-log.js'
import { STORE_SETTINGS, UsageError, type Command } from './command.js'
import { parseEndOption, parseTimeOption } from './options.js'

/** A progress line that rewrites itself on a terminal, or a line every 5 s otherwise, on stderr. */
function stderrProgress (): (line: string, final?: boolean) => void {
  const tty = process.stderr.isTTY
  let last = 0
  let lastLine = ''
  return (line, final = false) => {
    const now = Date.now()
    if (!final && now - last < (tty ? 250 : 5000)) return
    if (final && !tty && line === lastLine) return
    last = now
    lastLine = line
    process.stderr.write(tty ? `\r\u001b[2K${line}${final ? '\n' : ''}` : `${line}\n`)
  }
}

function required (options: Map<string, string>, key: string, example: string): string {
  const v = options.get(key)
  if (v === undefined || v.trim() === '') throw new UsageError(`export needs --${key.toLowerCase()} (e.g. --${key.toLowerCase()} ${example})`)
  return v.trim()
}

export const exportCommand: Command = {
  summary: 'write every candle of a range to a CSV, NDJSON or Parquet file',
  usage: 'tv-api export --symbol BTCUSDT --interval 1h [--from 2024-01-01] [--to 2024-01-31] [--format csv] [--out FILE] [settings]\n\nThe same files as GET /api/v1/export, read straight from the DuckDB file (stop the service first: it holds the file\'s lock).\nA CSV export loads back with tv-api import FILE.',
  options: {
    SYMBOL: { description: 'Symbol, any case' },
    INTERVAL: { description: 'Interval: 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 1w 1M (rolled up from 1m when not stored natively)' },
    FROM: { description: 'First open time: YYYY-MM-DD (UTC), ISO time or epoch s/ms', default: 'the first stored candle' },
    TO: { description: 'Last open time: YYYY-MM-DD (through the end of that day), ISO time or epoch s/ms', default: 'the last stored candle' },
    FORMAT: { description: `${EXPORT_FORMATS.join(', ')}`, default: 'csv' },
    HEADER: { description: 'CSV: start with the column names', default: 'true' },
    OUT: { description: 'File to write (never overwritten); - writes CSV or NDJSON to stdout', default: 'the export\'s own name, e.g. BTCUSDT-1h-2024-01-01_2024-01-31T2300.csv' }
  },
  settings: STORE_SETTINGS,
  async run ({ config, options, positionals }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
    const symbolText = required(options, 'SYMBOL', 'BTCUSDT')
    const symbol = normalizeSymbol(symbolText)
    if (symbol === undefined) throw new UsageError(`invalid value "${symbolText}" for --symbol: not a symbol (e.g. BTCUSDT)`)
    const interval = required(options, 'INTERVAL', '1h')
    if (!isInterval(interval)) throw new UsageError(`invalid value "${interval}" for --interval: not a Binance interval (1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 1w 1M)`)
    const format = (options.get('FORMAT') ?? 'csv').trim().toLowerCase()
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`invalid value "${format}" for --format: one of ${EXPORT_FORMATS.join(', ')}`)
    const headerText = options.get('HEADER')
    const header = headerText === undefined ? true : parseBoolean(headerText)
    if (header === undefined) throw new UsageError(`invalid value "${headerText}" for --header: true or false`)
    const now = Date.now()
    const fromText = options.get('FROM')
    const toText = options.get('TO')
    const from = fromText === undefined ? undefined : parseTimeOption(fromText, 'from', 0, now)
    const to = toText === undefined ? undefined : parseEndOption(toText, 'to', 0, now)
    if (from !== undefined && to !== undefined && from > to) throw new UsageError(`--from (${isoUtc(from)}) is after --to (${isoUtc(to)})`)
    if (config.STORAGE === 'memory') throw new UsageError('there is nothing to export with STORAGE=memory; use --storage duck')
    if (config.STORAGE !== 'postgres' && !existsSync(config.DUCKDB)) throw new UsageError(`no database at ${config.DUCKDB}`)

    const store = await openConfiguredStore(config)
    try {
      if (!store.hasSymbol(symbol)) throw new UsageError(`no candles of ${symbol} in ${store.path}; stored: ${store.listSymbols().join(', ') || 'none'}`)
      const range = { symbol, interval, from, to }
      const span = store.servedSpan(range)
      const bars = barsInSpan(interval, span)
      const out = options.get('OUT') ?? exportFileName({ symbol, interval, format: format as ExportFormat, span, from, to })
      const toStdout = out === '-'
      if (toStdout && format === 'parquet') throw new UsageError('--out - is for csv and ndjson; Parquet needs a file')
      if (format === 'parquet' && store.writeParquet === undefined) throw new UsageError('Parquet export needs a DuckDB store; use --format csv or ndjson with STORAGE=postgres')
      if (!toStdout && existsSync(out)) throw new UsageError(`--out ${out} exists; choose another name or remove it`)
      const started = Date.now()
      const progress = stderrProgress()
      const line = (rows: number) => {
        const s = Math.max(0.001, (Date.now() - started) / 1000)
        const pct = bars === 0 ? 100 : Math.min(100, (100 * rows) / bars)
        return `export ${symbol} ${interval} ${format}: ${pct.toFixed(1)}%  ${rows}/${bars} candles  ${Math.round(rows / s)} candles/s  ETA ${formatDuration(((bars - rows) / Math.max(1, rows / s)) * 1000)}`
      }
      process.stderr.write(`export ${symbol} ${interval} (${bars} candles${span === undefined ? '' : ` from ${isoUtc(span.first)} to ${isoUtc(span.last)}`}) to ${toStdout ? 'stdout' : out}\n`)
      // Written beside the target and renamed when complete, so a failed or interrupted export
      // never leaves a truncated file under the final name.
      const partial = `${out}.partial`
      let rows = 0
      try {
        if (format === 'parquet') {
          rows = await store.writeParquet!(range, partial)
        } else {
          const body = Readable.from(encodePages(store.streamCandles(range), {
            interval,
            format: format as 'csv' | 'ndjson',
            header,
            onRows: (n) => { rows = n; progress(line(n)) }
          }))
          await pipeline(body, toStdout ? process.stdout : createWriteStream(partial, { flags: 'wx' }), toStdout ? { end: false } : {})
        }
        if (!toStdout) renameSync(partial, out)
      } catch (err) {
        if (!toStdout) rmSync(partial, { force: true })
        throw err
      }
      const ms = Date.now() - started
      progress(line(rows), true)
      process.stderr.write(`export done: ${rows} candles to ${toStdout ? 'stdout' : out} in ${formatDuration(ms)} (${Math.round(rows / Math.max(0.001, ms / 1000))} candles/s)\n`)
      return 0
    } finally {
      await store.close()
    }
  }
}
