/** The logging surface core modules use; pino (and Fastify's logger) satisfy it. */
export interface Log {
  trace (obj: unknown, msg?: string): void
  debug (obj: unknown, msg?: string): void
  info (obj: unknown, msg?: string): void
  warn (obj: unknown, msg?: string): void
  error (obj: unknown, msg?: string): void
  fatal (obj: unknown, msg?: string): void
  child (bindings: Record<string, unknown>): Log
}

const noop = () => {}

/** Discards everything; for tools and tests that do not care. */
export const silentLog: Log = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
  child: () => silentLog
}

/** pino options for the service and the CLI: JSON lines, pretty-printed only on a terminal. */
export function pinoOptions (level: string): {
  level: string
  redact: string[]
  transport?: { target: string, options: Record<string, unknown> }
} {
  return {
    level,
    redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'],
    ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {})
  }
}
