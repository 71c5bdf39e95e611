// The real service in a child process, ingesting from a simulator running in the test process.
import { spawn, type ChildProcess } from 'node:child_process'

export interface ServiceProcess {
  child: ChildProcess
  port: number
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>
  output: () => string
}

export async function startServiceProcess (db: string, sim: { restUrl: string, wsUrl: string }, args: string[] = []): Promise<ServiceProcess> {
  return await startScriptProcess('src/server.ts', [
    '--live=1', '--duckdb', db, '--host', '127.0.0.1', '--port', '0', '--log-level', 'info',
    '--binance-rest-url', sim.restUrl, '--binance-ws-url', sim.wsUrl,
    '--live-symbols', 'BTCUSDT,ETHUSDT', ...args
  ])
}

/** Runs a TypeScript entry point that prints "listening at http://127.0.0.1:PORT" once it serves. */
export async function startScriptProcess (script: string, args: string[]): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let out = ''
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start: ${out}`)), 30_000)
    child.stdout!.on('data', (d) => {
      out += String(d)
      const m = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (m !== null) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    child.stderr!.on('data', (d) => { out += String(d) })
    child.on('exit', () => reject(new Error(`service exited: ${out}`)))
  })
  return { child, port, exited, output: () => out }
}

/** Open time of the newest stored 1m candle, as the running service reports it. */
export async function lastStored (port: number, symbol: string): Promise<number | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/intervals?symbol=${symbol}&include_ranges=true`).catch(() => undefined)
  if (res?.ok !== true) return undefined
  const body = await res.json() as { intervals: Array<{ name: string, to?: number }> }
  return body.intervals.find((i) => i.name === '1m')?.to
}
