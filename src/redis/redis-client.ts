// How the service connects to Redis (the live bus, the shared rate-limit counters): nothing waits
// for a connection that is down, since a caller is better told at once, and a lost connection is
// made again by itself, backing off from 100 ms to `maxDelayMs` with jitter.
import { Redis, type RedisOptions } from 'ioredis'
import { jitteredBackoff } from '../async/backoff.js'

export interface RedisClientOptions {
  /** Shown in CLIENT LIST, to tell the service's connections apart. */
  name: string
  /** A command without an answer this long fails (ms). */
  commandTimeoutMs: number
  maxDelayMs?: number
  /** Anything else for ioredis. */
  extra?: RedisOptions
}

export function openRedis (url: string, opts: RedisClientOptions): Redis {
  const maxDelay = opts.maxDelayMs ?? 2000
  return new Redis(url, {
    // A command fails at once while the connection is down, and the ones in flight when it
    // drops fail too rather than being sent again later, out of order.
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs,
    connectTimeout: Math.max(opts.commandTimeoutMs, 1000),
    connectionName: opts.name,
    retryStrategy: (times) => Math.round(jitteredBackoff(times, 100, maxDelay)),
    ...opts.extra
  })
}

/** QUIT, or a plain disconnect when the connection is not up. */
export async function closeRedis (redis: Redis): Promise<void> {
  try {
    await redis.quit()
  } catch {
    redis.disconnect()
  }
}

/** The URL without its password, for logs. */
export function redactUrl (url: string): string {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    return u.toString()
  } catch {
    return '(not a URL)'
  }
}
