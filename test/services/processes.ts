// What the throwaway test servers share: finding a binary, a free loopback port, an unprivileged
// user when running as root (initdb and postgres refuse root), and a child that stops with us.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { accessSync, chownSync, constants, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The longest a server may take to start or stop, on a loaded machine. */
export const SERVICE_WAIT_MS = 30_000

export function isExecutable (path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The first of `names` found on PATH, as a full path. */
export function onPath (name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && isExecutable(join(dir, name))) return join(dir, name)
  }
  return undefined
}

/** Debian's per-version PostgreSQL folders, newest first (only 15 and later). */
export function debianPostgresBins (): string[] {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return []
  return readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && Number(v) >= 15)
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(root, v, 'bin'))
}

/** A port free on 127.0.0.1 right now (the caller retries if another process takes it first). */
export async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

export interface RunAs {
  uid: number
  gid: number
  /** Prepended to the command: drops root to that user (empty when not root). */
  prefix: string[]
}

/** Who a server runs as: ourselves, or, as root, the `postgres` user (else `nobody`). */
export function unprivilegedUser (): RunAs {
  const uid = process.getuid?.() ?? -1
  if (uid !== 0) return { uid, gid: process.getgid?.() ?? -1, prefix: [] }
  for (const name of ['postgres', 'nobody']) {
    try {
      const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim())
      const user = { uid: id('-u'), gid: id('-g') }
      // setpriv execs the server in place, so the pid we hold is the server's own.
      return { ...user, prefix: ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--'] }
    } catch {}
  }
  throw new Error('running as root and neither a postgres nor a nobody user exists to run the test server as')
}

/** A fresh private folder owned by `user`. */
export function ownedTempDir (prefix: string, user: RunAs): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  if (user.prefix.length > 0) chownSync(dir, user.uid, user.gid)
  return dir
}

export interface Child {
  process: ChildProcess
  /** Everything it wrote to stdout and stderr, for the error message when it fails to start. */
  output: () => string
  exited: Promise<void>
}

/**
 * Spawns a server as `user`. If this process exits without stopping it (a crash, an uncaught
 * error), the server is killed and its folder removed on the way out.
 */
export function spawnServer (command: string, args: string[], user: RunAs, dir: string): Child {
  const [file, ...rest] = [...user.prefix, command, ...args]
  const child = spawn(file!, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } })
  let output = ''
  const collect = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-20_000) }
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const onExit = () => {
    child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', onExit)
  void exited.then(() => process.removeListener('exit', onExit))
  return { process: child, output: () => output, exited }
}

/** Stops a server with `signal`, then SIGKILL if it is still there after the wait; removes `dir` if given. */
export async function stopServer (child: Child, signal: NodeJS.Signals, dir?: string): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) {
    child.process.kill(signal)
    const timer = setTimeout(() => child.process.kill('SIGKILL'), SERVICE_WAIT_MS)
    await child.exited
    clearTimeout(timer)
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
}

/** Polls `ready` every 100 ms until it resolves true; rejects when the child exits or the wait runs out. */
export async function waitReady (child: Child, what: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + SERVICE_WAIT_MS
  let exited = false
  void child.exited.then(() => { exited = true })
  while (true) {
    if (exited) throw new Error(`${what} exited while starting:\n${child.output()}`)
    if (await ready().catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`${what} did not start within ${SERVICE_WAIT_MS / 1000} s:\n${child.output()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Runs a command as `user` to completion; rejects with its output when it fails. */
export async function runAs (command: string, args: string[], user: RunAs): Promise<void> {
  const [file, ...rest] = [...user.prefix, command, ...args]
  const child = spawn(file!, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } })
  let output = ''
  child.stdout.on('data', (c: Buffer) => { output += c.toString() })
  child.stderr.on('data', (c: Buffer) => { output += c.toString() })
  const [code] = await once(child, 'exit') as [number | null]
  if (code !== 0) throw new Error(`${command} failed (exit ${code}):\n${output}`)
}

export interface Launched {
  child: Child
  /** True once the server answers. */
  ready: () => Promise<boolean>
}

/**
 * Launches a server on `port`, or on a free one, and waits until it answers. A free port can be
 * taken between our look and the server's bind, so that case is tried again (three times in all);
 * any other failure removes `dir` and rejects. `failSignal` stops a server that did not come up.
 */
export async function launchOnPort (what: string, dir: string, port: number | undefined, failSignal: NodeJS.Signals,
  launch: (port: number) => Launched): Promise<{ port: number, child: Child }> {
  for (let attempt = 1; ; attempt++) {
    const chosen = port ?? await freePort()
    const { child, ready } = launch(chosen)
    try {
      await waitReady(child, what, ready)
      return { port: chosen, child }
    } catch (err) {
      await stopServer(child, failSignal)
      if (attempt >= 3 || !/could not bind|Address already in use/i.test(child.output())) {
        rmSync(dir, { recursive: true, force: true })
        throw err
      }
    }
  }
}

/**
 * The URL in the environment variable `name` when set (CI runs one server for the whole suite),
 * else that of one server of this process's own, started on first use and stopped when tap finishes.
 */
export function sharedServerUrl (name: string, start: () => Promise<{ url: string, stop: () => Promise<void> }>): () => Promise<string> {
  let shared: Promise<string> | undefined
  return () => {
    const fromEnv = process.env[name] ?? ''
    if (fromEnv !== '') return Promise.resolve(fromEnv)
    shared ??= (async () => {
      const server = await start()
      const { default: tap } = await import('tap')
      tap.teardown(() => server.stop())
      return server.url
    })()
    return shared
  }
}
