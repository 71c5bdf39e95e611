// History backfill from the exchange's REST API. Only what the store
// lacks is fetched, so an interrupted run resumes where it stopped and a repeated run changes
// nothing. Fetching and storing overlap: the next page is requested as soon as one arrives, and
// pages are written in batches of several while the following ones are fetched.
import { SerialQueue } from '../async/serial-queue.js'
import type { Candle } from '../domain/candle.js'
import { bucketStart, bucketStartAtOrAfter, bucketsBetween, fixedIntervalMs, type Interval } from '../domain/intervals.js'
import type { Exchange } from '../exchange/exchange.js'
import type { Log } from '../log.js'
import type { CandleStore, TimeRange } from '../store/candle-store.js'
import { KLINE_PAGE, fetchClosedKlines } from './fetch-closed-klines.js'
/**
 * Candles per store write. A write costs a few fixed milliseconds (transaction, roll-ups) on top
 * of its rows, so ten pages per write store several times faster than one; a crash loses at most
 * this many fetched candles, which the next run finds missing and fetches again.
 */
const WRITE_BATCH = 10 * KLINE_PAGE

export interface BackfillProgress {
  symbol: string
  interval: Interval
  /** Bars fetched and stored so far, over every series of the run. */
  done: number
  /** Bars the missing ranges can hold at most (listing dates and exchange gaps make it less). */
  total: number
  elapsedMs: number
}

export interface BackfillOptions {
  exchange: Exchange
  store: CandleStore
  symbols: readonly string[]
  intervals: readonly Interval[]
  from: number
  /** Inclusive upper bound on open time; clamped to the exchange's current time. */
  to: number
  log: Log
  onProgress?: (p: BackfillProgress) => void
  /** Series fetched in parallel (default 2). */
  concurrency?: number
  /** Stops fetching when aborted; what was fetched is still stored, and the report says so. */
  signal?: AbortSignal
}

export interface SeriesReport {
  symbol: string
  interval: Interval
  ranges: number
  stored: number
  rejected: number
}

export interface BackfillReport {
  series: SeriesReport[]
  stored: number
  rejected: number
  elapsedMs: number
  /** Bars the missing ranges could hold when the run started. */
  missing: number
  /** The signal stopped the run before every range was fetched. */
  interrupted: boolean
}

/** The ranges of a series that are not stored yet; calendar months are simply re-read whole. */
export async function missingRanges (store: CandleStore, symbol: string, interval: Interval, from: number, to: number): Promise<TimeRange[]> {
  if (fixedIntervalMs(interval) === undefined) {
    const first = bucketStartAtOrAfter(interval, from)
    const last = bucketStart(interval, to)
    return first <= last ? [{ first, last }] : []
  }
  return await store.findGaps(symbol, interval, from, to)
}

export async function backfill (opts: BackfillOptions): Promise<BackfillReport> {
  const started = Date.now()
  const serverTime = await opts.exchange.serverTime()
  const plan: Array<{ symbol: string, interval: Interval, ranges: TimeRange[] }> = []
  let total = 0
  for (const symbol of opts.symbols) {
    for (const interval of opts.intervals) {
      // Only closed bars: the one containing the exchange's current time is still forming.
      const to = Math.min(opts.to, bucketStart(interval, serverTime) - 1)
      const ranges = opts.from <= to ? await missingRanges(opts.store, symbol, interval, opts.from, to) : []
      for (const r of ranges) total += bucketsBetween(interval, r.first, r.last) + 1
      plan.push({ symbol, interval, ranges })
    }
  }
  opts.log.info({ series: plan.length, missingBars: total }, 'backfill planned')
  let done = 0
  const report: BackfillReport = { series: [], stored: 0, rejected: 0, elapsedMs: 0, missing: total, interrupted: false }

  const runSeries = async ({ symbol, interval, ranges }: typeof plan[number]): Promise<void> => {
    const series: SeriesReport = { symbol, interval, ranges: ranges.length, stored: 0, rejected: 0 }
    const writes = new SerialQueue()
    let writeFailed: { err: unknown } | undefined
    let batch: Candle[] = []
    const store = async (): Promise<void> => {
      const candles = batch
      batch = []
      // At most one write in flight per series; the next batch waits for it, the fetching does not.
      await writes.idle()
      if (writeFailed !== undefined) throw writeFailed.err
      void writes.run(async () => {
        try {
          await opts.store.upsertBatch(candles)
          series.stored += candles.length
        } catch (err) {
          writeFailed = { err }
        }
      })
    }
    for (const range of ranges) {
      if (opts.signal?.aborted === true) break
      const pages = fetchClosedKlines(opts.exchange, { symbol, interval, from: range.first, to: range.last, serverTime, log: opts.log, signal: opts.signal })
      for await (const page of pages) {
        batch.push(...page.candles)
        series.rejected += page.rejected
        if (batch.length >= WRITE_BATCH) await store()
        done += page.received
        opts.onProgress?.({ symbol, interval, done, total, elapsedMs: Date.now() - started })
      }
    }
    if (batch.length > 0) await store()
    await writes.idle()
    if (writeFailed !== undefined) throw writeFailed.err
    report.series.push(series)
    report.stored += series.stored
    report.rejected += series.rejected
  }

  const queue = [...plan]
  const workers = Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, async () => {
    for (let item = queue.shift(); item !== undefined && opts.signal?.aborted !== true; item = queue.shift()) await runSeries(item)
  })
  await Promise.all(workers)
  report.interrupted = opts.signal?.aborted === true
  report.series.sort((a, b) => a.symbol.localeCompare(b.symbol) || a.interval.localeCompare(b.interval))
  report.elapsedMs = Date.now() - started
  return report
}
