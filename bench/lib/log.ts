// Benchmarks talk to people on stderr and to the orchestrator on stdout: exactly one JSON line,
// the last one, holding every measured figure.
const started = performance.now()
let tag = 'bench'

export function setLogTag (name: string): void {
  tag = name
}

export function log (message: string): void {
  const s = ((performance.now() - started) / 1000).toFixed(1).padStart(6)
  process.stderr.write(`[${tag} ${s}s] ${message}\n`)
}

export interface BenchResult {
  benchmark: string
  /** Flat map of measured numbers; the orchestrator takes the median of each across runs. */
  figures: Record<string, number>
  /** Settings and context of this run (knobs, counts, notes), kept as-is. */
  details: Record<string, unknown>
}

export function emitResult (result: BenchResult): void {
  // Non-finite numbers are not JSON; a figure that could not be measured is left out.
  const figures: Record<string, number> = {}
  for (const [k, v] of Object.entries(result.figures)) if (Number.isFinite(v)) figures[k] = v
  process.stdout.write(`${JSON.stringify({ ...result, figures })}\n`)
}

/** Rounds for output: enough digits to be useful, no float noise. */
export function round (v: number, decimals = 3): number {
  const f = 10 ** decimals
  return Math.round(v * f) / f
}
