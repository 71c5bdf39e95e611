// Every stored candle of one store into another, whatever their engines, series by series in
// bounded batches: the paged read of the source and the batch write of the target, so memory stays
// flat and the target keeps its hourly roll-ups in step as with any other write.
//
// What is copied is each series stored natively (1m, and any interval an archive import or a
// backfill stored as such); intervals the source only rolls up from 1m are rolled up by the
// target from the copied minutes, as every store does.
//
// Resuming needs no state of its own: a source bar whose key the target already holds is left
// alone, so a second run after an interruption copies only what the first did not reach, a run
// over a finished copy writes nothing, and a target that already holds some of the same bars
// (its own live ingestion, say) keeps them. Which keys the target holds comes from its own
// answers: the missing stretches of fixed-width series (findGaps), the stored open times of a
// monthly one (a few hundred bars at most). A checkpoint table would need a schema of its own in
// every engine and could disagree with what the target really holds; the target's data cannot.
import type { Candle } from '../domain/candle.js'
import { fixedIntervalMs, type Interval } from '../domain/intervals.js'
import type { CandleRange, CandleStore, TimeRange } from './candle-store.js'

/** Candles per write: one transaction of the target, a few MB in memory. */
export const COPY_BATCH_ROWS = 50_000
/** Candles per read of the source at most: larger pages read no faster. */
const READ_PAGE_ROWS = 16_384

/** How far a copy has come, after each batch written and each series finished. */
export interface CopyProgress {
  /** Source candles dealt with: copied, or found already in the target. */
  done: number
  /** Candles the source holds in every series it stores. */
  total: number
  /** Candles written to the target so far. */
  copied: number
  /** The series being copied. */
  symbol: string
  interval: Interval
  elapsedMs: number
}

export interface SeriesCopy {
  symbol: string
  interval: Interval
  /** Candles of the series in the source. */
  source: number
  /** Candles written to the target (the rest it held already). */
  copied: number
}

export interface CopyReport {
  /** Every series the source stores, in the order copied; those not reached have copied 0. */
  series: SeriesCopy[]
  total: number
  copied: number
  /** True when the signal stopped the copy before every series was done. */
  interrupted: boolean
  elapsedMs: number
}

export interface CopyOptions {
  batchRows?: number
  /** Stops the copy between batches; what was written stays, and a new run resumes from it. */
  signal?: AbortSignal
  onProgress?: (p: CopyProgress) => void
}

interface SeriesPlan extends TimeRange {
  symbol: string
  interval: Interval
  count: number
}

/** Every series the source stores natively, with its span and row count, symbol by symbol. */
async function sourceSeries (source: CandleStore): Promise<SeriesPlan[]> {
  const out: SeriesPlan[] = []
  for (const symbol of source.listSymbols()) {
    for (const r of await source.intervalRanges(symbol)) {
      if (r.native) out.push({ symbol, interval: r.interval, first: r.first, last: r.last, count: r.count ?? 0 })
    }
  }
  return out
}

/** What of a source series the target lacks: the stretches to read, and open times to leave out of them. */
interface Missing {
  stretches: TimeRange[]
  held: ReadonlySet<number>
}

async function missingInTarget (target: CandleStore, s: SeriesPlan): Promise<Missing> {
  const held = target.storedRange(s.symbol, s.interval)
  if (held === undefined || held.last < s.first || held.first > s.last) return { stretches: [s], held: new Set() }
  if (fixedIntervalMs(s.interval) !== undefined) return { stretches: await target.findGaps(s.symbol, s.interval, s.first, s.last), held: new Set() }
  // A calendar-month series has no fixed step to find gaps by; its stored open times are few.
  const times = new Set<number>()
  for await (const page of target.streamCandles({ symbol: s.symbol, interval: s.interval, from: s.first, to: s.last })) {
    for (const bar of page) times.add(bar[0])
  }
  return { stretches: [s], held: times }
}

/**
 * The source bars of a series within `stretches` whose open times are not in `held`, as candles in
 * batches of `batchRows` (the last one shorter; a batch may span stretches, so many small holes
 * still make full writes), read in pages of at most READ_PAGE_ROWS.
 */
async function * candleBatches (source: CandleStore, plan: SeriesPlan, missing: Missing, batchRows: number): AsyncGenerator<Candle[], void, undefined> {
  const { symbol, interval } = plan
  const batch: Candle[] = []
  for (const stretch of missing.stretches) {
    const range: CandleRange = { symbol, interval, from: stretch.first, to: stretch.last }
    for await (const page of source.streamCandles(range, Math.min(batchRows, READ_PAGE_ROWS))) {
      for (const t of page) {
        if (!missing.held.has(t[0])) batch.push({ symbol, interval, ts: t[0], open: t[1], high: t[2], low: t[3], close: t[4], volume: t[5] })
      }
      while (batch.length >= batchRows) yield batch.splice(0, batchRows)
    }
  }
  if (batch.length > 0) yield batch
}

/**
 * Writes every batch of one series to the target, reading the next batch while the current one is
 * written (the two stores work at once); resolves to whether the signal stopped it.
 */
async function copySeries (
  source: CandleStore, target: CandleStore, plan: SeriesPlan, missing: Missing,
  batchRows: number, signal: AbortSignal | undefined, onBatch: (rows: number) => void
): Promise<{ stopped: boolean }> {
  const batches = candleBatches(source, plan, missing, batchRows)
  let next: Promise<IteratorResult<Candle[], void>> | undefined = batches.next()
  try {
    while (true) {
      const batch = await next
      next = undefined
      if (batch.done === true) return { stopped: false }
      if (signal?.aborted === true) return { stopped: true }
      next = batches.next()
      await target.upsertBatch(batch.value)
      onBatch(batch.value.length)
    }
  } finally {
    // A batch still being read is awaited first: a generator cannot be closed while it runs.
    if (next !== undefined) await next.catch(() => undefined)
    await batches.return(undefined)
  }
}

/** Copies every candle `source` stores into `target`; see the top of this file for what and how. */
export async function copyStore (source: CandleStore, target: CandleStore, opts: CopyOptions = {}): Promise<CopyReport> {
  const started = performance.now()
  const batchRows = opts.batchRows ?? COPY_BATCH_ROWS
  const plans = await sourceSeries(source)
  const series: SeriesCopy[] = plans.map((s) => ({ symbol: s.symbol, interval: s.interval, source: s.count, copied: 0 }))
  const total = plans.reduce((n, s) => n + s.count, 0)
  let doneBefore = 0
  let copied = 0
  const report = (interrupted: boolean): CopyReport => ({ series, total, copied, interrupted, elapsedMs: performance.now() - started })
  for (const [i, plan] of plans.entries()) {
    if (opts.signal?.aborted === true) return report(true)
    const entry = series[i]!
    const progress = (done: number) => opts.onProgress?.({
      done, total, copied, symbol: plan.symbol, interval: plan.interval, elapsedMs: performance.now() - started
    })
    const missing = await missingInTarget(target, plan)
    const r = await copySeries(source, target, plan, missing, batchRows, opts.signal, (rows) => {
      entry.copied += rows
      copied += rows
      progress(doneBefore + entry.copied)
    })
    if (r.stopped) return report(true)
    doneBefore += plan.count
    progress(doneBefore)
  }
  return report(false)
}
