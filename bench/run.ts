// `npm run bench [names...] [--runs 3] [knobs...]`: runs each benchmark `runs` times, each run a
// fresh `node --import tsx bench/<name>.ts` process whose last stdout line is its JSON result,
// takes the median of every figure, judges the targets, merges into bench/results/latest.json and
// rewrites BENCHMARKS.md. Knobs other than the orchestrator's own are forwarded to every benchmark.
// Orchestrator options: --runs N (3)  --timeout S per run (300)  --regenerate (rebuild the stores
// and archive files)  --list
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadavg } from 'node:os'
import { parseArgs } from './lib/args.js'
import { buildService, SERVICE_ENTRY_ENV } from './lib/build.js'
import { ensureArchive, ensureStore } from './lib/datasets.js'
import { BENCHMARK_NAMES, GROUPS, meets, type BenchmarkName } from './lib/figures.js'
import { log, setLogTag } from './lib/log.js'
import { machineInfo } from './lib/machine.js'
import { BENCH_DIR, BENCHMARKS_MD, RESULTS_FILE } from './lib/paths.js'
import { startNode, stopAll } from './lib/processes.js'
import { formatTarget, formatValue, loadResults, medianFigures, summarize, writeOutputs, type BenchEntry, type Results, type RunRecord } from './lib/report.js'

const OWN_OPTIONS = new Set(['runs', 'timeout', 'regenerate', 'list', 'help'])

const USAGE = `Usage: npm run bench [names or groups...] [options] [knobs...]
  (no names: every benchmark; --list shows the names and groups)
Options:
  --runs N        runs of each benchmark; the median of each figure is kept (3)
  --timeout S     longest one run may take, in seconds (300)
  --regenerate    rebuild the stores and archive files the benchmarks read
  --list          print the benchmark names and groups
  --help          print this
Any other --knob value is passed to every benchmark, which reads only its own (see bench/README.md).
Results: bench/results/latest.json and BENCHMARKS.md.
`

/** The argv given minus the orchestrator's own options and the benchmark names. */
function forwardedArgs (argv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (!a.startsWith('--')) continue
    const name = a.slice(2).split('=')[0]!
    const takesNext = !a.includes('=') && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')
    if (!OWN_OPTIONS.has(name)) out.push(a, ...(takesNext ? [argv[i + 1]!] : []))
    if (takesNext) i++
  }
  return out
}

function selected (positionals: readonly string[]): BenchmarkName[] {
  if (positionals.length === 0) return [...BENCHMARK_NAMES]
  const out = new Set<BenchmarkName>()
  for (const p of positionals) {
    const group = GROUPS[p]
    if (group !== undefined) for (const n of group) out.add(n)
    else if ((BENCHMARK_NAMES as readonly string[]).includes(p)) out.add(p as BenchmarkName)
    else throw new Error(`unknown benchmark "${p}"; choose from ${[...BENCHMARK_NAMES, ...Object.keys(GROUPS)].join(', ')}`)
  }
  // Always in the canonical order.
  return BENCHMARK_NAMES.filter((n) => out.has(n))
}

/** Busy and total CPU ticks of the whole machine so far, from /proc/stat (undefined off Linux). */
function cpuTicks (): { busy: number, total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number)
    const total = fields.reduce((a, b) => a + b, 0)
    return { busy: total - fields[3]! - (fields[4] ?? 0), total }
  } catch {
    return undefined
  }
}

/**
 * Waits, at most `maxMs`, for half a second in which the machine's CPUs were at least 90% idle:
 * what a run leaves behind (5,000 sockets closing, a store's last checkpoint) would otherwise be
 * billed to the next one. Without the wait, import measured ~420k rows/s inside a full run against
 * 550-590k alone.
 */
async function quietCpu (maxMs = 15_000): Promise<void> {
  const deadline = performance.now() + maxMs
  while (performance.now() < deadline) {
    const before = cpuTicks()
    await new Promise((resolve) => setTimeout(resolve, 500))
    const after = cpuTicks()
    if (before === undefined || after === undefined) return
    if (after.busy - before.busy <= 0.1 * (after.total - before.total)) return
  }
}

async function runOnce (name: BenchmarkName, args: string[], timeoutS: number): Promise<RunRecord> {
  const load = loadavg()[0]!
  const started = performance.now()
  const stdout: string[] = []
  const child = startNode(name, join(BENCH_DIR, `${name}.ts`), args, { forward: () => false })
  // The benchmark's own log lines go straight through; stdout is its result.
  child.onLine((line, stream) => {
    if (stream === 'stderr') process.stderr.write(`${line}\n`)
    else stdout.push(line)
  })
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutS * 1000) })
  const exit = await Promise.race([child.exited, timedOut])
  clearTimeout(timer)
  if (exit === 'timeout') await child.stop(5000)
  await new Promise((resolve) => setImmediate(resolve))
  const wallS = (performance.now() - started) / 1000
  const base = { wallS: Math.round(wallS * 10) / 10, loadavg1: Math.round(load * 100) / 100 }
  if (exit === 'timeout') return { ok: false, ...base, error: `timed out after ${timeoutS} s` }
  const last = stdout.filter((l) => l.trim() !== '').at(-1)
  for (const l of stdout.slice(0, -1)) if (l.trim() !== '') process.stderr.write(`  [${name} stdout] ${l}\n`)
  if (exit.code !== 0 || last === undefined) return { ok: false, ...base, error: `exited with code ${exit.code} (signal ${exit.signal}): ${child.tail.filter((l) => /FAILED|Error/.test(l)).slice(0, 3).join(' ') || 'no result line'}` }
  try {
    const parsed = JSON.parse(last) as { figures: Record<string, number>, details: Record<string, unknown> }
    return { ok: true, ...base, figures: parsed.figures, details: parsed.details }
  } catch {
    return { ok: false, ...base, error: `the last stdout line is not JSON: ${last.slice(0, 200)}` }
  }
}

async function main (): Promise<number> {
  setLogTag('run')
  const started = performance.now()
  // Boolean options never take the next word (`--regenerate rest` names a benchmark).
  const argv = process.argv.slice(2).map((a) => a === '--regenerate' || a === '--list' || a === '--help' ? `${a}=true` : a)
  const args = parseArgs(argv)
  if (args.options.has('help')) {
    process.stdout.write(USAGE)
    return 0
  }
  if (args.options.has('list')) {
    process.stdout.write(`${BENCHMARK_NAMES.join('\n')}\ngroups: ${Object.entries(GROUPS).map(([g, n]) => `${g} = ${n.join(',')}`).join('; ')}\n`)
    return 0
  }
  const names = selected(args.positionals)
  const runs = Math.max(1, Number(args.options.get('runs') ?? 3))
  const timeoutS = Number(args.options.get('timeout') ?? 300)
  const regenerate = args.options.has('regenerate')
  const forward = forwardedArgs(argv)
  log(`benchmarks: ${names.join(', ')}; ${runs} run(s) each${forward.length > 0 ? `; knobs: ${forward.join(' ')}` : ''}`)

  const machine = await machineInfo()
  log(`${machine.cpu}, ${machine.cores} cores, ${machine.ramGiB} GiB, ${machine.os}, Node ${machine.node}, ${machine.duckdb}, commit ${machine.commit}${machine.dirty ? '+' : ''}`)
  // Build once for every run (see lib/build.ts).
  const runtime = args.options.get('runtime') ?? 'dist'
  if (runtime === 'dist') process.env[SERVICE_ENTRY_ENV] = buildService()
  // Data first, so generation time never lands inside a measured run.
  const needs = new Set(names)
  await Promise.all([
    needs.has('rest-cached') || needs.has('rest-uncached') || needs.has('rollups') || needs.has('memory') || needs.has('engines-uncached') ? ensureStore('large', { regenerate }) : undefined,
    needs.has('rest-uncached') || needs.has('scale-rest') ? ensureStore('small', { regenerate }) : undefined,
    needs.has('import') ? ensureArchive({ regenerate }) : undefined,
    needs.has('export') ? ensureStore('series', { regenerate }) : undefined
  ])

  const previous = loadResults()
  const results: Results = {
    schema: 1,
    updated: new Date().toISOString(),
    machine,
    benchmarks: { ...(previous.benchmarks ?? {}) },
    summary: []
  }
  for (const name of names) {
    const records: RunRecord[] = []
    for (let i = 1; i <= runs; i++) {
      log(`${name}: run ${i}/${runs}`)
      await quietCpu()
      const r = await runOnce(name, forward, timeoutS)
      records.push(r)
      log(`${name}: run ${i}/${runs} ${r.ok ? 'done' : `FAILED (${r.error ?? ''})`} in ${r.wallS.toFixed(1)} s`)
    }
    const entry: BenchEntry = { ranAt: new Date().toISOString(), machine, args: forward, runs: records, median: medianFigures(records) }
    results.benchmarks[name] = entry
    results.summary = summarize(results.benchmarks)
    // Written after every benchmark, so an interrupted session keeps what it measured.
    writeOutputs(results, 3)
  }

  const totalS = (performance.now() - started) / 1000
  log(`finished in ${totalS.toFixed(0)} s; wrote ${RESULTS_FILE} and ${BENCHMARKS_MD}`)
  for (const r of results.summary) {
    if (!names.some((n) => results.benchmarks[n]?.median[r.key] !== undefined)) continue
    const verdict = r.target === undefined ? '' : r.median === undefined ? '  (not measured)' : meets(r.median, r.target) ? '  met' : '  MISSED'
    process.stderr.write(`  ${r.label}: ${formatValue(r.median, r.unit)}${r.target === undefined ? '' : ` (target ${formatTarget(r.target, r.unit)})`}${verdict}\n`)
  }
  const failed = names.flatMap((n) => results.benchmarks[n]!.runs.filter((r) => !r.ok))
  return failed.length > 0 ? 1 : 0
}

main().then(
  async (code) => { await stopAll(); process.exit(code) },
  async (err: unknown) => {
    log(`FAILED: ${(err as Error).stack ?? String(err)}`)
    await stopAll(3000)
    process.exit(1)
  }
)
