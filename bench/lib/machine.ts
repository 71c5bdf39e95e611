// The machine and software the figures were measured on, for the results file and BENCHMARKS.md.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, loadavg, release, totalmem, type, arch, availableParallelism } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { REPO_ROOT } from './paths.js'

export interface MachineInfo {
  cpu: string
  cores: number
  ramGiB: number
  os: string
  node: string
  duckdb: string
  duckdbPackage: string
  commit: string
  /** Tracked files differ from the commit (the figures are of the working tree). */
  dirty: boolean
  date: string
  /** 1-minute load average when the run started: a busy machine makes noisy figures. */
  loadavg1: number
}

async function duckdbVersion (): Promise<string> {
  const instance = await DuckDBInstance.create(':memory:')
  const con = await instance.connect()
  try {
    return String((await con.runAndReadAll('SELECT version()')).getRows()[0]![0])
  } finally {
    con.closeSync()
    instance.closeSync()
  }
}

function git (args: string[]): string | undefined {
  try {
    // Read-only git: --no-optional-locks keeps `status` from refreshing the index.
    return execFileSync('git', ['--no-optional-locks', ...args], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}

export async function machineInfo (): Promise<MachineInfo> {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', '@duckdb', 'node-api', 'package.json'), 'utf8')) as { version: string }
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    ramGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    os: `${type()} ${release()} ${arch()}`,
    node: process.version,
    duckdb: await duckdbVersion(),
    duckdbPackage: `@duckdb/node-api ${pkg.version}`,
    commit: git(['rev-parse', '--short=12', 'HEAD']) ?? 'unknown',
    dirty: (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
    date: new Date().toISOString(),
    loadavg1: Math.round(loadavg()[0]! * 100) / 100
  }
}
