// Percentiles over raw samples (no histogram buckets), so sub-millisecond latencies keep their
// precision, and the median used to combine runs.

export interface Summary {
  count: number
  min: number
  mean: number
  p50: number
  p90: number
  p99: number
  max: number
}

/** Nearest-rank percentile of ascending-sorted values: the smallest value with at least p% at or below it. */
export function percentileSorted (sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

export function summarize (values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort()
  let sum = 0
  for (const v of sorted) sum += v
  return {
    count: sorted.length,
    min: sorted.length === 0 ? Number.NaN : sorted[0]!,
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
    p50: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p99: percentileSorted(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!
  }
}

/** The middle value (mean of the two middle ones for an even count); NaN for none. */
export function median (values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return Number.NaN
  const mid = Math.floor(v.length / 2)
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2
}

/** Adds `prefix.p50_ms` ... entries for a latency summary to a figures map. */
export function latencyFigures (figures: Record<string, number>, prefix: string, s: Summary): void {
  figures[`${prefix}.p50_ms`] = s.p50
  figures[`${prefix}.p90_ms`] = s.p90
  figures[`${prefix}.p99_ms`] = s.p99
  figures[`${prefix}.max_ms`] = s.max
  figures[`${prefix}.mean_ms`] = s.mean
  figures[`${prefix}.samples`] = s.count
}

/** A small seeded PRNG (mulberry32), so every run asks for the same sequence of windows. */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Milliseconds on CLOCK_MONOTONIC with microsecond precision: comparable across processes of one machine. */
export function monoMs (): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000
}

/** Wall-clock epoch milliseconds with sub-millisecond precision. */
export function wallMs (): number {
  return performance.timeOrigin + performance.now()
}
