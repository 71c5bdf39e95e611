// Which code runs as the service. By default the working tree is compiled with the project's
// tsconfig into bench/.data/dist and run as plain JavaScript, as `npm start` runs dist/: a
// TypeScript loader in the measured process would add ~50 MB of RSS and slow every start.
// `--runtime tsx` runs src/server.ts through tsx instead. The orchestrator builds once and tells
// the benchmarks through BENCH_SERVICE_ENTRY; a benchmark run alone builds for itself.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { log } from './log.js'
import { DATA_DIR, REPO_ROOT, SERVER_TS } from './paths.js'

const OUT_DIR = join(DATA_DIR, 'dist')
const ENV_KEY = 'BENCH_SERVICE_ENTRY'

/** Compiles src/, plugins/ and routes/ into bench/.data/dist (incremental); returns the entry point. */
export function buildService (): string {
  const started = performance.now()
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const r = spawnSync(process.execPath, [
    tsc, '-p', join(REPO_ROOT, 'tsconfig.json'),
    '--outDir', OUT_DIR,
    '--tsBuildInfoFile', join(OUT_DIR, '.tsbuildinfo'),
    '--sourceMap', 'false'
  ], { cwd: REPO_ROOT, encoding: 'utf8' })
  const entry = join(OUT_DIR, 'src', 'server.js')
  // Type errors still emit JavaScript; only a missing entry point is fatal.
  if (r.status !== 0) log(`tsc reported problems (exit ${r.status}); running what it emitted:\n${(r.stdout + r.stderr).split('\n').slice(0, 10).join('\n')}`)
  if (!existsSync(entry)) throw new Error(`the build produced no ${entry}:\n${r.stdout}${r.stderr}`)
  log(`service compiled into ${OUT_DIR} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return entry
}

/** The script that starts the service (and its CLI commands), per --runtime. */
export function serviceEntry (runtime: string): string {
  if (runtime === 'tsx') return SERVER_TS
  if (runtime !== 'dist') throw new Error(`--runtime must be dist or tsx, got "${runtime}"`)
  const given = process.env[ENV_KEY]
  if (given !== undefined && existsSync(given)) return given
  const entry = buildService()
  process.env[ENV_KEY] = entry
  return entry
}

export const SERVICE_ENTRY_ENV = ENV_KEY
