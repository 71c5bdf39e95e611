// Binance archive kline CSVs into PostgreSQL: each file's lines are copied raw (COPY, one text
// column) into a temporary table, then parsed and validated by one statement into csv_lines with
// the rules, order and messages of klineCsvRelation (the DuckDB store's reader), so both stores
// accept and reject the same lines for the same reasons.
import { createReadStream } from 'node:fs'
import { Transform, type TransformCallback } from 'node:stream'
import type pg from 'pg'
import { WEEK_ORIGIN_MS, fixedIntervalMs, type Interval } from '../../domain/intervals.js'
import { copyStream } from './copy-rows.js'

export interface KlineCsvFile {
  path: string
  symbol: string
  interval: Interval
  skipLines?: number
}

const FIELDS = ['open', 'high', 'low', 'close', 'volume'] as const

// Archive fields are plain decimals: those are cast straight away (at most 250 characters, so none
// overflows or underflows a double), anything else goes through lenient_double, which reads it as
// DuckDB's TRY_CAST would. A bounded repetition in the pattern instead of the length check made
// PostgreSQL's regex engine a hundred times slower.
const PLAIN_NUMBER_RE = '^[0-9]+(\\.[0-9]+)?$'

/** Drops the first `lines` lines of a byte stream (a header). */
class SkipLines extends Transform {
  constructor (private lines: number) {
    super()
  }

  override _transform (chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let start = 0
    while (this.lines > 0) {
      const nl = chunk.indexOf(10, start)
      if (nl === -1) {
        done()
        return
      }
      start = nl + 1
      this.lines--
    }
    done(null, start === 0 ? chunk : chunk.subarray(start))
  }
}

function aligned (interval: Interval): string {
  const width = fixedIntervalMs(interval)
  if (width === undefined) {
    return "ts = (extract(epoch FROM date_trunc('month', TIMESTAMP 'epoch' + ts * INTERVAL '1 millisecond')) * 1000)::bigint"
  }
  return `(ts - ${interval === '1w' ? WEEK_ORIGIN_MS : 0}) % ${width} = 0`
}

/** Parses and validates the raw lines of file number $1 into csv_lines. */
function parseSql (interval: Interval): string {
  const values = FIELDS.map((f, i) => `CASE WHEN f[${i + 2}] ~ '${PLAIN_NUMBER_RE}' AND length(f[${i + 2}]) <= 250 THEN f[${i + 2}]::double precision ELSE lenient_double(f[${i + 2}]) END AS ${f}`).join(', ')
  const inRange = FIELDS.map((f) => `${f} >= 0 AND ${f} < 'Infinity'::double precision`).join(' AND ')
  const fieldChecks = FIELDS.map((f) => `
        WHEN ${f} IS NULL THEN '${f} is not a finite number'
        WHEN ${f} < 0 THEN '${f} is negative'`).join('')
  return `
    INSERT INTO csv_lines
    -- Each step materialized: inlined, every reference to a parsed field re-ran its split and cast
    -- (a line took 170 µs instead of a few).
    WITH lines AS MATERIALIZED (
      SELECT n, string_to_array(line, ',') AS f FROM csv_raw WHERE line <> ''
    ), parsed AS MATERIALIZED (
      SELECT n, cardinality(f) AS fields, f[1] AS raw_ts, ${values}
      FROM lines
    ), timed AS MATERIALIZED (
      -- 13 characters are milliseconds, 16 microseconds (archives from 2025), starting with a digit.
      SELECT *, CASE WHEN length(raw_ts) BETWEEN 12 AND 17 AND left(raw_ts, 1) BETWEEN '0' AND '9'
                     THEN (CASE WHEN length(raw_ts) >= 16 THEN div(u, 1000) ELSE u END)::bigint
                END AS ts
      FROM (SELECT *, CASE WHEN raw_ts ~ '^[0-9]+$' THEN raw_ts::numeric ELSE lenient_ubigint(raw_ts) END AS u FROM parsed) AS p
    ), checked AS MATERIALIZED (
      SELECT *, coalesce(fields >= 6 AND ts IS NOT NULL AND ${aligned(interval)} AND ${inRange}
                         AND high >= greatest(open, close) AND low <= least(open, close), false) AS valid
      FROM timed
    )
    SELECT $1::integer, n, $2::text, $3::text, ts, open, high, low, close, volume, valid,
      CASE WHEN valid THEN NULL ELSE CASE
        WHEN fields < 6 THEN 'fewer than 6 fields'
        WHEN ts IS NULL THEN 'open time is not epoch milliseconds or microseconds'
        WHEN NOT (${aligned(interval)}) THEN 'open time is not aligned to ${interval}'${fieldChecks}
        WHEN high < greatest(open, close) THEN 'high is below open or close'
        WHEN low > least(open, close) THEN 'low is above open or close'
      END END
    FROM checked`
}

/**
 * Fills the temporary table csv_lines (file, n, symbol, interval, ts, open, high, low, close,
 * volume, valid, reason) with every non-empty line of the files, `file` being the index in
 * `files` and `n` the line's order across all of them.
 */
export async function stageKlineCsv (client: pg.ClientBase, files: readonly KlineCsvFile[]): Promise<void> {
  await client.query('CREATE TEMP TABLE IF NOT EXISTS csv_raw (n bigserial, line text)')
  await client.query(`CREATE TEMP TABLE IF NOT EXISTS csv_lines (
    file integer, n bigint, symbol text, "interval" text, ts bigint,
    open double precision, high double precision, low double precision, close double precision, volume double precision,
    valid boolean, reason text)`)
  await client.query('TRUNCATE csv_lines')
  for (const [i, f] of files.entries()) {
    await client.query('TRUNCATE csv_raw')
    const skip = Math.max(0, Math.trunc(f.skipLines ?? 0))
    const source = skip === 0 ? createReadStream(f.path) : createReadStream(f.path).pipe(new SkipLines(skip))
    // CSV mode with a delimiter and quote that archive lines never hold: each line is one field,
    // read verbatim (text mode would interpret backslashes).
    await copyStream(client, String.raw`COPY csv_raw (line) FROM STDIN WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02', NULL E'\x03')`, source)
    await client.query(parseSql(f.interval), [i, f.symbol, f.interval])
  }
  await client.query('TRUNCATE csv_raw')
  await client.query('ANALYZE csv_lines')
}

export const DROP_CSV_SQL = 'DROP TABLE IF EXISTS csv_lines, csv_raw'
