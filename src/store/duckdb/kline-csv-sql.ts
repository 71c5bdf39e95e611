// Parsing and validation of Binance archive kline CSV lines inside DuckDB (its CSV reader runs at
// millions of lines per second; parsing in JavaScript capped imports near 130k rows/s).
//
// The rules and messages are those of candleDefect() in src/domain/candle.ts, checked in the same
// order, plus the two line-level checks of the archive format; test/backfill-import.test.ts keeps
// the two implementations in step.
import type { Interval } from '../../domain/intervals.js'
import { bucketRule } from '../rollup-plan.js'
import { monthStartSql, sqlString } from './sql.js'

const FIELDS = ['open', 'high', 'low', 'close', 'volume'] as const

function aligned (interval: Interval): string {
  const rule = bucketRule(interval)
  if (rule.kind === 'month') return `ts = ${monthStartSql('ts')}`
  return `(ts - ${rule.origin}) % ${rule.width} = 0`
}

export interface CsvFile {
  path: string
  interval: Interval
  /** Leading lines to skip (1 when the file starts with a header). */
  skipLines?: number
}

/**
 * A relation over CSV files that share an interval and a header count: (filename, ts, open, high,
 * low, close, volume, valid, reason), one row per non-empty line; `reason` is NULL exactly when
 * `valid`. DuckDB reads the files in parallel.
 */
export function klineCsvRelation (paths: readonly string[], interval: Interval, skipLines: number): string {
  const values = FIELDS.map((f, i) => `TRY_CAST(f[${i + 2}] AS DOUBLE) AS ${f}`).join(', ')
  // DuckDB orders NaN above +inf, so `x < 'inf'` also rejects NaN.
  const inRange = FIELDS.map((f) => `${f} >= 0 AND ${f} < 'inf'::DOUBLE`).join(' AND ')
  const fieldChecks = FIELDS.map((f) => `
        WHEN ${f} IS NULL OR NOT isfinite(${f}) THEN '${f} is not a finite number'
        WHEN ${f} < 0 THEN '${f} is negative'`).join('')
  return `(
    WITH lines AS (
      SELECT filename, string_split(line, ',') AS f
      FROM read_csv([${paths.map(sqlString).join(', ')}], columns = {'line': 'VARCHAR'}, delim = '\\x01', quote = '', escape = '',
                    header = false, auto_detect = false, filename = true, skip = ${Math.max(0, Math.trunc(skipLines))})
      -- An empty line is no line; a line of blanks is a malformed one (trimming every line costs more than the parse).
      WHERE line <> ''
    ), parsed AS (
      SELECT filename, len(f) AS n, f[1] AS raw_ts, ${values}
      FROM lines
    ), timed AS (
      -- 13 digits are milliseconds, 16 microseconds (archives from 2025); digits only, no sign.
      SELECT *, CASE WHEN length(raw_ts) BETWEEN 12 AND 17 AND raw_ts[1] BETWEEN '0' AND '9'
                     THEN CASE WHEN length(raw_ts) >= 16 THEN TRY_CAST(raw_ts AS UBIGINT) // 1000 ELSE TRY_CAST(raw_ts AS UBIGINT) END
                END::BIGINT AS ts
      FROM parsed
    ), checked AS (
      SELECT *, coalesce(n >= 6 AND ts IS NOT NULL AND ${aligned(interval)} AND ${inRange}
                         AND high >= greatest(open, close) AND low <= least(open, close), false) AS valid
      FROM timed
    )
    SELECT filename, ts, open, high, low, close, volume, valid,
      -- Only the (rare) invalid lines evaluate the reasons.
      CASE WHEN valid THEN NULL ELSE CASE
        WHEN n < 6 THEN 'fewer than 6 fields'
        WHEN ts IS NULL THEN 'open time is not epoch milliseconds or microseconds'
        WHEN NOT (${aligned(interval)}) THEN 'open time is not aligned to ${interval}'${fieldChecks}
        WHEN high < greatest(open, close) THEN 'high is below open or close'
        WHEN low > least(open, close) THEN 'low is above open or close'
      END END AS reason
    FROM checked
  )`
}
