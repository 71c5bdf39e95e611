// Child processes of a benchmark: the service, the simulator, bare servers, client workers and
// one-shot CLI commands. Every child is tracked and killed when the benchmark ends, fails or is
// interrupted, so no server outlives its benchmark (and no DuckDB file stays locked).
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { DATA_DIR, REPO_ROOT } from './paths.js'

export interface ExitInfo {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface StartOptions {
  /** Open an IPC channel (the child can process.send / process.on('message')). */
  ipc?: boolean
  env?: NodeJS.ProcessEnv
  /** Which output lines to copy to our stderr (prefixed with the child's name); default: stderr only. */
  forward?: (line: string, stream: 'stdout' | 'stderr') => boolean
  /** Extra node flags before the script (e.g. --max-old-space-size). */
  nodeArgs?: string[]
}

const TAIL_LINES = 200

export class ManagedChild {
  readonly exited: Promise<ExitInfo>
  exit?: ExitInfo
  /** The last lines of stdout and stderr, for error messages and late line matching. */
  readonly tail: string[] = []
  private readonly lineListeners = new Set<(line: string, stream: 'stdout' | 'stderr') => void>()
  private readonly messageListeners = new Set<(msg: unknown) => void>()
  private nextId = 1

  constructor (readonly name: string, readonly proc: ChildProcess, forward: NonNullable<StartOptions['forward']>) {
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        this.exit = { code, signal }
        children.delete(this)
        resolve(this.exit)
      })
    })
    for (const stream of ['stdout', 'stderr'] as const) {
      const s = proc[stream]
      if (s === null) continue
      createInterface({ input: s, crlfDelay: Infinity }).on('line', (line) => {
        this.tail.push(line)
        if (this.tail.length > TAIL_LINES) this.tail.shift()
        if (forward(line, stream)) process.stderr.write(`  [${this.name}] ${line}\n`)
        for (const l of this.lineListeners) l(line, stream)
      })
    }
    proc.on('message', (msg) => { for (const l of this.messageListeners) l(msg) })
    // An IPC write to a child that just died must not crash the benchmark; its exit is reported instead.
    proc.on('error', () => {})
  }

  /** Calls `fn` for every later line of output. */
  onLine (fn: (line: string, stream: 'stdout' | 'stderr') => void): void {
    this.lineListeners.add(fn)
  }

  get pid (): number {
    return this.proc.pid ?? -1
  }

  /** Resolves with the first match of `re` in a line of output (already printed lines count). */
  waitForLine (re: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    for (const line of this.tail) {
      const m = re.exec(line)
      if (m !== null) return Promise.resolve(m)
    }
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer)
        this.lineListeners.delete(onLine)
      }
      const onLine = (line: string): void => {
        const m = re.exec(line)
        if (m === null) return
        cleanup()
        resolve(m)
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`${this.name}: no line matching ${re} within ${timeoutMs} ms\n${this.tail.slice(-20).join('\n')}`))
      }, timeoutMs)
      this.lineListeners.add(onLine)
      void this.exited.then((e) => {
        if (!this.lineListeners.has(onLine)) return
        cleanup()
        reject(new Error(`${this.name} exited (code ${e.code}, signal ${e.signal}) before printing ${re}\n${this.tail.slice(-20).join('\n')}`))
      })
    })
  }

  /** The next IPC message that satisfies `match`. */
  waitForMessage<T> (match: (msg: unknown) => msg is T, timeoutMs = 60_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer)
        this.messageListeners.delete(onMessage)
      }
      const onMessage = (msg: unknown): void => {
        if (!match(msg)) return
        cleanup()
        resolve(msg)
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`${this.name}: no matching IPC message within ${timeoutMs} ms\n${this.tail.slice(-20).join('\n')}`))
      }, timeoutMs)
      this.messageListeners.add(onMessage)
      void this.exited.then((e) => {
        if (!this.messageListeners.has(onMessage)) return
        cleanup()
        reject(new Error(`${this.name} exited (code ${e.code}, signal ${e.signal}) while a reply was awaited\n${this.tail.slice(-20).join('\n')}`))
      })
    })
  }

  /** Sends `{id, cmd, ...args}` and resolves with the child's `{id, ok: true, ...}` reply. */
  async request<T = Record<string, unknown>> (cmd: string, args: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<T> {
    const id = this.nextId++
    const reply = this.waitForMessage((m): m is { id: number, ok: boolean, error?: string } =>
      typeof m === 'object' && m !== null && (m as { id?: unknown }).id === id, timeoutMs)
    this.proc.send({ id, cmd, ...args })
    const r = await reply
    if (!r.ok) throw new Error(`${this.name} ${cmd}: ${r.error ?? 'failed'}`)
    return r as unknown as T
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop (graceMs = 15_000): Promise<ExitInfo> {
    if (this.exit !== undefined) return this.exit
    this.proc.kill('SIGTERM')
    let timer: NodeJS.Timeout | undefined
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (this.exit === undefined) this.proc.kill('SIGKILL')
        resolve()
      }, graceMs)
    })
    await Promise.race([this.exited, killed])
    clearTimeout(timer)
    return await this.exited
  }
}

const children = new Set<ManagedChild>()
let cleanupInstalled = false

function installCleanup (): void {
  if (cleanupInstalled) return
  cleanupInstalled = true
  // Last resort: whatever is still running when we exit is killed (synchronously, by pid).
  process.on('exit', () => {
    for (const c of children) {
      try { c.proc.kill('SIGKILL') } catch { /* already gone */ }
    }
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`received ${signal}: stopping ${children.size} child process(es)\n`)
      void stopAll(3000).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
    })
  }
}

/**
 * Node's own CPU profiler for the children named in BENCH_CPU_PROF (comma-separated, e.g.
 * `service,hub-server`): each writes a .cpuprofile into bench/.data/profiles when it exits.
 */
function profilerArgs (name: string): string[] {
  const wanted = (process.env.BENCH_CPU_PROF ?? '').split(',').map((s) => s.trim())
  return wanted.includes(name) ? ['--cpu-prof', '--cpu-prof-dir', join(DATA_DIR, 'profiles')] : []
}

/** Starts `node <script> ...args` from the repository root, through tsx for a .ts script. */
export function startNode (name: string, script: string, args: readonly string[] = [], opts: StartOptions = {}): ManagedChild {
  installCleanup()
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : []
  const proc = spawn(process.execPath, [...profilerArgs(name), ...(opts.nodeArgs ?? []), ...loader, script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe', ...(opts.ipc === true ? ['ipc' as const] : [])]
  })
  const child = new ManagedChild(name, proc, opts.forward ?? ((_line, stream) => stream === 'stderr'))
  children.add(child)
  return child
}

export async function stopAll (graceMs = 15_000): Promise<void> {
  await Promise.all([...children].map((c) => c.stop(graceMs)))
}

export interface CommandResult {
  code: number | null
  stdout: string[]
  wallMs: number
}

/** Runs a one-shot command to completion; rejects on a non-zero exit or a timeout. */
export async function runToExit (name: string, script: string, args: readonly string[], timeoutMs = 600_000, opts: StartOptions = {}): Promise<CommandResult> {
  const stdout: string[] = []
  const started = performance.now()
  const child = startNode(name, script, args, opts)
  child.onLine((line, stream) => { if (stream === 'stdout') stdout.push(line) })
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs) })
  const r = await Promise.race([child.exited, timeout])
  clearTimeout(timer)
  if (r === 'timeout') {
    await child.stop(2000)
    throw new Error(`${name} did not finish within ${timeoutMs} ms\n${child.tail.slice(-20).join('\n')}`)
  }
  const wallMs = performance.now() - started
  // Let readline deliver the last lines.
  await new Promise((resolve) => setImmediate(resolve))
  if (r.code !== 0) throw new Error(`${name} exited with code ${r.code} (signal ${r.signal})\n${child.tail.slice(-30).join('\n')}`)
  return { code: r.code, stdout, wallMs }
}
