// The real entry point (src/server.ts) in a child process, for what only a process shows: exit
// codes, what reaches stdout and stderr, signals.
import { spawn, type SpawnOptions } from 'node:child_process'
import { createServer } from 'node:net'
import { settingFor } from '../src/settings/schema.js'

export interface CliRun {
  status: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface CliRunOptions {
  env?: NodeJS.ProcessEnv
  /** Run as this user (and group) instead. */
  uid?: number
  gid?: number
  /** Called with the child once it runs, e.g. to signal it when some output appears. */
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void
}

/** The environment without any setting of the service, so only the test's flags count. */
function cleanEnv (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (settingFor(k) === undefined) env[k] = v
  return { ...env, ...extra }
}

export async function runEntry (args: readonly string[], opts: CliRunOptions = {}): Promise<CliRun> {
  const spawnOpts: SpawnOptions = { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(opts.env) }
  let command = process.execPath
  let argv = ['--import', 'tsx', 'src/server.ts', ...args]
  if (opts.uid !== undefined) {
    spawnOpts.uid = opts.uid
    spawnOpts.gid = opts.gid ?? opts.uid
    // Under another user the test runner's coverage hook (which it adds to NODE_OPTIONS of every
    // child) cannot write its files: env drops it before node starts.
    argv = ['-u', 'NODE_OPTIONS', command, ...argv]
    command = '/usr/bin/env'
  }
  const child = spawn(command, argv, spawnOpts)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => {
    stdout += String(d)
    opts.onStdout?.(stdout, child)
  })
  child.stderr!.on('data', (d) => { stderr += String(d) })
  return await new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (status, signal) => resolve({ status, signal, stdout, stderr }))
  })
}

/** A loopback port nothing listens on: connecting to it is refused at once. */
export async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}
