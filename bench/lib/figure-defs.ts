// The shapes of what BENCHMARKS.md shows (figures, targets, detail tables) and the benchmark
// names, shared by the figure lists and the report.

export type Unit = 'req/s' | 'ms' | '×' | 'candles/s' | 'rows/s' | 'msgs/s' | 'MiB' | 'clients' | 'KiB' | 's' | '%' | 'µs'

export interface Target {
  op: '>=' | '<='
  value: number
}

export interface FigureDef {
  key: string
  benchmark: string
  section: string
  label: string
  unit: Unit
  target?: Target
}

export const BENCHMARK_NAMES = ['rest-cached', 'rest-uncached', 'rollups', 'ws-fanout', 'backfill', 'import', 'bulk', 'live', 'memory', 'cache-memory', 'export', 'postgres-store', 'engines-uncached', 'store-copy', 'scale-rest', 'scale-fanout', 'failover'] as const
export type BenchmarkName = typeof BENCHMARK_NAMES[number]

export interface DetailTable {
  title: string
  benchmark: BenchmarkName
  note?: string
  columns: string[]
  /** Each row: a label and figure keys (or fixed text) per remaining column. */
  rows: Array<{ label: string, cells: Array<{ key: string, unit?: Unit } | { text: string }> }>
}

/** The p50, p99 and max cells of a latency summary written by latencyFigures. */
export const lat = (prefix: string): Array<{ key: string, unit: Unit }> =>
  [{ key: `${prefix}.p50_ms`, unit: 'ms' }, { key: `${prefix}.p99_ms`, unit: 'ms' }, { key: `${prefix}.max_ms`, unit: 'ms' }]

export function meets (value: number, t: Target): boolean {
  return t.op === '>=' ? value >= t.value : value <= t.value
}
