// An archive import on the PostgreSQL store: the files' lines are staged and validated in the
// database (kline-csv.ts), then the valid ones are committed through the same staged write as
// upsertBatch, one transaction per `partRows` lines, however large the files.
import type { TimeRange, CsvLoadResult } from '../candle-store.js'
import { planWrite, type SeriesSpan } from '../write-batch.js'
import type { Interval } from '../../domain/intervals.js'
import { DROP_CSV_SQL, stageKlineCsv, type KlineCsvFile } from './kline-csv.js'
import { commitStaged, type Writer } from './staged-write.js'
import { STAGE_TABLE } from './write-sql.js'

export type { KlineCsvFile } from './kline-csv.js'

/** Each key once: the line read last wins, like a later upsert of the same candle would. */
const STAGE_PART_SQL = `
  INSERT INTO ${STAGE_TABLE}
  SELECT DISTINCT ON (symbol, "interval", ts) symbol, "interval", ts, open, high, low, close, volume
  FROM csv_lines WHERE valid AND n BETWEEN $1 AND $2
  ORDER BY symbol, "interval", ts, n DESC`

const PART_SPANS_SQL = `
  SELECT symbol, "interval", min(ts), max(ts) FROM csv_lines
  WHERE valid AND n BETWEEN $1 AND $2 GROUP BY symbol, "interval"`

export async function loadKlineCsvFiles (
  writer: Writer,
  files: readonly KlineCsvFile[],
  partRows: number,
  storedOf: (spans: readonly SeriesSpan[]) => Array<TimeRange | undefined>,
  committed: (spans: readonly SeriesSpan[], rows: number, started: number) => void
): Promise<CsvLoadResult[]> {
  const started = performance.now()
  try {
    await stageKlineCsv(writer.client, files)
    const results = files.map((): CsvLoadResult => ({ rows: 0, stored: 0, rejected: new Map() }))
    const counts = await writer.client.query<[number, string | null, number]>({
      text: 'SELECT file, reason, count(*)::integer FROM csv_lines GROUP BY file, reason', rowMode: 'array'
    })
    for (const [file, reason, n] of counts.rows) {
      results[file]!.rows += n
      if (reason !== null) results[file]!.rejected.set(reason, n)
    }
    // Keys, not lines: a candle repeated within a file is stored once.
    const stored = await writer.client.query<[number, number]>({
      text: 'SELECT file, count(DISTINCT ts)::integer FROM csv_lines WHERE valid GROUP BY file', rowMode: 'array'
    })
    for (const [file, n] of stored.rows) results[file]!.stored = n
    const [[lo, hi]] = (await writer.client.query<[number | null, number | null]>({ text: 'SELECT min(n), max(n) FROM csv_lines', rowMode: 'array' })).rows
    const last = hi ?? 0
    for (let from = lo ?? 1; from <= last; from += partRows) {
      const to = from + partRows - 1
      const spans = (await writer.client.query<[string, Interval, number, number]>({ text: PART_SPANS_SQL, values: [from, to], rowMode: 'array' }))
        .rows.map(([symbol, interval, first, last]): SeriesSpan => ({ symbol, interval, first, last }))
      if (spans.length === 0) continue
      const before = storedOf(spans)
      const rows = await writer.transaction(async (client) => {
        const staged = (await client.query(STAGE_PART_SQL, [from, to])).rowCount ?? 0
        await commitStaged(client, spans, before, planWrite(spans, before))
        return staged
      })
      committed(spans, rows, started)
    }
    return results
  } finally {
    await writer.client.query(DROP_CSV_SQL).catch(() => {})
  }
}
