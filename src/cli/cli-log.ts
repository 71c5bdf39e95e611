import { pino } from 'pino'
import type { Log } from '../log.js'

/** Logs of one-shot commands go to stderr, so stdout carries only progress and the summary. */
export function cliLog (level: string): Log {
  if (process.stderr.isTTY) {
    return pino({ level, transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } })
  }
  return pino({ level }, pino.destination(2))
}

/** One line that rewrites itself on a terminal, or a log line at most every `everyMs` otherwise. */
export function progressReporter (everyMs = 5000): (line: string, final?: boolean) => void {
  let last = 0
  const tty = process.stdout.isTTY
  return (line, final = false) => {
    if (final && !tty) return
    const now = Date.now()
    if (!final && now - last < (tty ? 200 : everyMs)) return
    last = now
    if (tty) process.stdout.write(`\r\u001b[2K${line}${final ? '\n' : ''}`)
    else process.stdout.write(`${line}\n`)
  }
}

export function formatDuration (ms: number): string {
  if (!Number.isFinite(ms)) return '?'
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`
}
