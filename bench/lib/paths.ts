// Where things live. Every path is absolute, so benchmarks work from any working directory.
import { fileURLToPath } from 'node:url'
import { join, resolve } from 'node:path'

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
export const BENCH_DIR = join(REPO_ROOT, 'bench')
/** Generated stores and archives, reused across runs (git-ignored). */
export const DATA_DIR = join(BENCH_DIR, '.data')
/** Throw-away files of one run (fresh DuckDB files for ingestion, response bodies). */
export const TMP_DIR = join(DATA_DIR, 'tmp')
export const RESULTS_FILE = join(BENCH_DIR, 'results', 'latest.json')
export const BENCHMARKS_MD = join(REPO_ROOT, 'BENCHMARKS.md')
/** The service's entry point, run from source so the figures follow the working tree. */
export const SERVER_TS = join(REPO_ROOT, 'src', 'server.ts')
