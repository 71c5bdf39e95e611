// Loading Binance archive kline CSV files into DuckDB: DuckDB reads and validates the lines
// (kline-csv-sql.ts), and the valid ones go through the store's commit in bounded transactions.
import type { UpsertResult, CsvLoadResult } from '../candle-store.js'
import type { SeriesSpan } from '../write-batch.js'
import { MAX_TRANSACTION_ROWS } from './bulk-writes.js'
import { klineCsvRelation, type CsvFile } from './kline-csv-sql.js'
import { sqlString } from './sql.js'
import type { WriteSource, Writer } from './writer.js'

export interface KlineCsvFile extends CsvFile {
  symbol: string
}

/** The store's commit kernel, as loadKlineCsv uses it. */
export type Commit = (spans: readonly SeriesSpan[], rows: number, started: number, source: WriteSource & { kind: 'sql' }) => Promise<UpsertResult>

/** Loads the files in one write job's turn (inside a write job); invalid lines are counted by reason. */
export async function loadKlineCsv (writer: Writer, files: readonly KlineCsvFile[], commit: Commit): Promise<CsvLoadResult[]> {
  const started = performance.now()
  // Files sharing an interval and a header count are read by one (parallel) scan.
  const groups = new Map<string, KlineCsvFile[]>()
  for (const f of files) {
    const key = `${f.interval}|${f.skipLines ?? 0}`
    groups.set(key, [...(groups.get(key) ?? []), f])
  }
  const symbols = [...files].map((f) => `(${sqlString(f.path)}, ${sqlString(f.symbol)}, ${sqlString(f.interval)})`).join(', ')
  const relations = [...groups.values()].map((g) => `SELECT * FROM ${klineCsvRelation(g.map((f) => f.path), g[0]!.interval, g[0]!.skipLines ?? 0)}`)
  try {
    await writer.exec(`
      CREATE OR REPLACE TEMP TABLE csv_lines AS
      SELECT m.symbol, m.interval, r.* FROM (${relations.join(' UNION ALL ')}) r
      JOIN (VALUES ${symbols}) m(filename, symbol, interval) USING (filename)`)
    const results = new Map(files.map((f) => [f.path, { rows: 0, stored: 0, rejected: new Map<string, number>() } satisfies CsvLoadResult]))
    for (const [filename, reason, n] of await writer.rows(
      'SELECT filename, reason, count(*)::INTEGER FROM csv_lines GROUP BY filename, reason') as Array<[string, string | null, number]>) {
      const r = results.get(filename)!
      r.rows += n
      if (reason !== null) r.rejected.set(reason, n)
    }
    for (const r of results.values()) r.stored = r.rows - [...r.rejected.values()].reduce((a, b) => a + b, 0)
    const [[lastRow]] = await writer.rows('SELECT coalesce(max(rowid), -1)::DOUBLE FROM csv_lines') as [[number]]
    let duplicates = false
    // One transaction per MAX_TRANSACTION_ROWS lines, however large the files (see bulk-writes.ts).
    for (let lo = 0; lo <= lastRow; lo += MAX_TRANSACTION_ROWS) {
      const part = `valid AND rowid BETWEEN ${lo} AND ${lo + MAX_TRANSACTION_ROWS - 1}`
      const spans = (await writer.rows(`
        SELECT symbol, interval, min(ts)::DOUBLE, max(ts)::DOUBLE FROM csv_lines WHERE ${part} GROUP BY symbol, interval`))
        .map(([symbol, interval, first, last]) => ({ symbol, interval, first, last }) as SeriesSpan)
      if (spans.length === 0) continue
      const valid = `SELECT symbol, interval, ts, open, high, low, close, volume FROM csv_lines WHERE ${part}`
      const [[lines]] = await writer.rows(`SELECT count(*)::INTEGER FROM (${valid})`) as [[number]]
      try {
        await commit(spans, lines, started, { kind: 'sql', sql: valid, replace: false })
      } catch (err) {
        if (!/duplicate key|same row twice/i.test((err as Error).message)) throw err
        // A key repeated within or across the files: keep one row of each (the last part's wins).
        duplicates = true
        const unique = `SELECT DISTINCT ON (symbol, interval, ts) symbol, interval, ts, open, high, low, close, volume
                        FROM csv_lines WHERE ${part} ORDER BY symbol, interval, ts`
        const [[keys]] = await writer.rows(`SELECT count(*)::INTEGER FROM (${unique})`) as [[number]]
        await commit(spans, keys, started, { kind: 'sql', sql: unique, replace: true })
      }
    }
    // A key repeated within one part failed its plain insert above; one repeated across parts was
    // replaced without a word (a later part overlaps what the earlier ones stored). Either way:
    // count keys, not lines.
    if (duplicates || lastRow >= MAX_TRANSACTION_ROWS) {
      for (const [filename, distinct] of await writer.rows(
        'SELECT filename, count(DISTINCT ts)::INTEGER FROM csv_lines WHERE valid GROUP BY filename') as Array<[string, number]>) {
        results.get(filename)!.stored = distinct
      }
    }
    return files.map((f) => results.get(f.path)!)
  } finally {
    await writer.exec('DROP TABLE IF EXISTS csv_lines')
  }
}
