// A throwaway Redis for tests: TEST_REDIS_URL when set (CI starts one server for the whole suite),
// otherwise one redis-server per test process on a free loopback port, with no persistence.
// Redis has no per-file databases worth the name (pub/sub channels ignore SELECT), so each caller
// gets a key and channel prefix of its own instead.
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { isExecutable, launchOnPort, onPath, ownedTempDir, sharedServerUrl, spawnServer, stopServer, unprivilegedUser } from './processes.js'

export const REDIS_INSTALL = 'sudo apt-get install redis-server'

export function redisServerBin (): string | undefined {
  return [process.env.REDIS_SERVER, onPath('redis-server'), '/usr/bin/redis-server']
    .find((p): p is string => p !== undefined && p !== '' && isExecutable(p))
}

/** `false` when tests can have a Redis, else the reason to give tap's `skip` option. */
export function redisSkip (): string | false {
  if ((process.env.TEST_REDIS_URL ?? '') !== '' || redisServerBin() !== undefined) return false
  return `no redis-server found: install it with \`${REDIS_INSTALL}\` (or set TEST_REDIS_URL)`
}

export interface RedisServer {
  url: string
  stop: () => Promise<void>
}

/** True when the server at host:port answers PING (an inline command; no client library needed). */
export function redisAnswers (host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    let reply = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(2000, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
  })
}

/**
 * Starts a redis-server of its own (loopback, no RDB, no AOF); `stop()` shuts it down. `port`
 * asks for a given one, to start a server again where its clients expect it.
 */
export async function startRedis (opts: { port?: number } = {}): Promise<RedisServer> {
  const bin = redisServerBin()
  if (bin === undefined) throw new Error(String(redisSkip()))
  const user = unprivilegedUser()
  const dir = ownedTempDir('tv-api-redis-', user)
  const { port, child } = await launchOnPort('redis-server', dir, opts.port, 'SIGKILL', (port) => ({
    child: spawnServer(bin, [
      '--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no',
      '--protected-mode', 'no', '--daemonize', 'no', '--loglevel', 'warning'
    ], user, dir),
    ready: () => redisAnswers('127.0.0.1', port)
  }))
  return { url: `redis://127.0.0.1:${port}`, stop: () => stopServer(child, 'SIGTERM', dir) }
}

/** The server URL: TEST_REDIS_URL, or this process's own server. */
const serverUrl = sharedServerUrl('TEST_REDIS_URL', startRedis)

export interface RedisService {
  url: string
  /** Prefix for every key and channel a test uses, unique to it. */
  prefix: string
}

export async function redisService (): Promise<RedisService> {
  return { url: await serverUrl(), prefix: `tvtest:${process.pid}:${randomBytes(4).toString('hex')}:` }
}
