// The read/write contract routes and ingestion depend on. DuckDB implements it today; a shared
// engine (ClickHouse, PostgreSQL) can implement it when the service grows past one machine.
import type { Candle, CandleTuple } from '../domain/candle.js'
import type { Interval } from '../domain/intervals.js'
import type { SymbolParts } from '../domain/symbols.js'

export interface CandleQuery {
  symbol: string
  interval: Interval
  /** Inclusive lower bound on open time (ms). */
  from?: number
  /** Inclusive upper bound on open time (ms). */
  to?: number
  limit: number
}

/** A whole range of one series; bounds are inclusive open times (ms), absent meaning unbounded. */
export interface CandleRange {
  symbol: string
  interval: Interval
  from?: number
  to?: number
}

export interface TimeRange {
  /** Open time of the first and last stored (or rolled-up) candle. */
  first: number
  last: number
}

/** The stored span of one series. */
export interface SeriesRange extends TimeRange {
  symbol: string
  interval: Interval
}

export interface IntervalRange extends TimeRange {
  interval: Interval
  /** True when stored as such; false when rolled up from 1m. */
  native: boolean
  /** Number of stored rows; only known for native intervals. */
  count?: number
}

export interface UpsertResult {
  /** Rows written (after removing duplicates within the batch). */
  rows: number
  symbols: string[]
}

export interface WriteInfo {
  /** Rows in the committed batch (0 for deletions). */
  rows: number
  /** Time the batch took, appending included. */
  durationMs: number
  /** True for a write another process made, learnt from the bus (applyRemoteWrite, reloadIndex). */
  remote?: boolean
}

export interface CsvLoadResult {
  /** Data lines in the file (a header line excluded). */
  rows: number
  /** Distinct candles stored. */
  stored: number
  /** Rejected lines by reason. */
  rejected: Map<string, number>
}

export type WriteListener = (symbols: ReadonlySet<string>, info: WriteInfo) => void

export interface CandleStore {
  /** Inserts or replaces closed candles, keyed by (symbol, interval, ts), in one transaction. */
  upsertBatch (candles: readonly Candle[]): Promise<UpsertResult>
  /**
   * Loads Binance archive kline CSVs (12 columns, ms or µs open times) through the same write
   * path as upsertBatch, in one transaction; invalid lines are counted by reason, never stored.
   */
  loadKlineCsv (files: ReadonlyArray<{ path: string, symbol: string, interval: Interval, skipLines?: number }>): Promise<CsvLoadResult[]>
  /**
   * Candles in ascending order. No bounds: the latest `limit`; `from` only: the first `limit` at or
   * after it; `to` only: the last `limit` at or before it; both: the first `limit` in the range.
   * When `signal` aborts, the read stops (a running query is interrupted) and rejects with its reason.
   */
  getCandles (query: CandleQuery, signal?: AbortSignal): Promise<CandleTuple[]>
  /**
   * Open times of the first and last bar the stored data spans within a range (native, or rolled
   * up from 1m as getCandles serves it), from memory; undefined when the range holds no bar.
   */
  servedSpan (range: CandleRange): TimeRange | undefined
  /**
   * Every bar of a range, ascending, as getCandles serves them, in pages of at most `pageRows`.
   * Each page is one short read, so other requests run between pages and a consumer that stops
   * pulling holds nothing but the page in hand. Bars written after the read started and newer
   * than the span it started with are not included.
   */
  streamCandles (range: CandleRange, pageRows?: number): AsyncGenerator<CandleTuple[], void, undefined>
  /**
   * Writes the bars of a range to a Parquet file at `path` (columns open_time, open, high, low,
   * close, volume, close_time; times in epoch ms), ascending; resolves to the rows written. An
   * abort stops the write (the caller removes the partial file). Optional: an engine without a
   * Parquet writer leaves it out and the API answers 501.
   */
  writeParquet? (range: CandleRange, path: string, signal?: AbortSignal): Promise<number>
  /**
   * The bar of `interval` opening at `start`, rolled up from the 1m candles stored so far, with
   * the newest minute it includes; undefined when none is stored yet. Live aggregation starts here.
   */
  barSoFar (symbol: string, interval: Interval, start: number): Promise<{ bar: CandleTuple, lastMinute: number } | undefined>
  /** Base and quote assets recorded for a symbol (a legacy file's catalog_symbols), if any. */
  symbolParts? (symbol: string): SymbolParts | undefined
  /** Every symbol with stored candles, sorted. */
  listSymbols (): string[]
  hasSymbol (symbol: string): boolean
  /** First and last open time stored natively for one interval, from memory. */
  storedRange (symbol: string, interval: Interval): TimeRange | undefined
  /** Every interval the store can serve for a symbol, with its time range. */
  intervalRanges (symbol: string): Promise<IntervalRange[]>
  /**
   * Missing stretches of one interval within [from, to] (bar open times, inclusive): before the
   * first stored bar, between stored bars, and after the last. Fixed-width intervals only.
   */
  findGaps (symbol: string, interval: Interval, from: number, to: number): Promise<TimeRange[]>
  /** Deletes the bars of one interval with open time in [from, to]; returns rows deleted. */
  deleteRange (symbol: string, interval: Interval, from: number, to: number): Promise<number>
  /** Deletes every bar of `interval` (all intervals when undefined) opening before `cutoff`. */
  deleteOlderThan (interval: Interval | undefined, cutoff: number): Promise<number>
  /** Makes committed writes durable in the main storage and frees what they held in memory. */
  checkpoint (): Promise<void>
  /** Called after each committed write with the symbols it touched. */
  onWrite (listener: WriteListener): () => void
  /**
   * For a store other processes write too (the live bus tells of their writes): takes in one such
   * write without reading storage. Each symbol in `symbols` gets exactly the series ranges listed
   * for it (a series not listed has no rows left); then the write listeners are told, `remote: true`.
   * A store only its own process writes leaves it out.
   */
  applyRemoteWrite? (symbols: readonly string[], ranges: readonly SeriesRange[]): void
  /**
   * For a store other processes write too: re-reads every series range from storage, after
   * notices of their writes may have been missed (the bus was disconnected); then tells the write
   * listeners about every symbol, `remote: true`.
   */
  reloadIndex? (): Promise<void>
  /** The engine and its version, e.g. "DuckDB v1.5.5", as /version reports it. */
  readonly engineVersion: string
  /** Resolves when the database answers a trivial query. */
  ping (): Promise<void>
  close (): Promise<void>
}

/** What every operation of a closed store rejects with. */
export function storeClosedError (): Error {
  return new Error('candle store is closed')
}

/**
 * A write refused because this process does not (or no longer) hold the store's write term (a
 * PostgreSQL store shared by several processes, whose one ingest leader writes). Nothing of the
 * write reached the store; whoever holds the term now stores the same data.
 */
export class FencedError extends Error {
  readonly code = 'FENCED'
  constructor (message: string) {
    super(message)
    this.name = 'FencedError'
  }
}

export function isFenced (err: unknown): err is FencedError {
  return err instanceof FencedError
}
