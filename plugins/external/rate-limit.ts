import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { closeRedis, openRedis } from '../../src/redis/redis-client.js'

export interface RateBudgetState {
  max: number
  /** Requests left in the client's current window (this request already counted). */
  remaining: number
  /** Seconds until the window resets. */
  retryAfterS: number
}

/** The client's request budget, for routes whose cost depends on what they serve (exports). */
export interface RateBudget {
  /** The client's state without counting anything; undefined when rate limiting is off. */
  read (request: FastifyRequest): Promise<RateBudgetState | undefined>
  /** Counts `units` more requests against the client's window. */
  charge (request: FastifyRequest, units: number): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    rateBudget: RateBudget
  }
}

const OFF: RateBudget = { read: async () => undefined, charge: async () => {} }

/** A counter update without an answer this long counts as Redis failing (ms). */
const REDIS_COMMAND_TIMEOUT_MS = 1000

/**
 * With BUS=redis the counters live in Redis under REDIS_PREFIX, so a client's limit holds across
 * every replica. While Redis fails, requests are let through (skipOnError) rather than refused:
 * the limit protects the service, and /readyz already reports the outage through the live bus.
 */
function sharedStore (app: FastifyInstance): Pick<RateLimitPluginOptions, 'redis' | 'nameSpace' | 'skipOnError'> {
  const { BUS, REDIS_URL, REDIS_PREFIX } = app.config
  if (BUS !== 'redis') return {}
  const redis = openRedis(REDIS_URL, { name: 'tv-api-rate-limit', commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS })
  // Failed attempts are retried by the client and the bus logs the outage; nothing to add here.
  redis.on('error', () => {})
  app.addHook('onClose', async () => { await closeRedis(redis) })
  return { redis, nameSpace: `${REDIS_PREFIX}rate-limit:`, skipOnError: true }
}

/**
 * Per-client-IP request limit (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS; off when 0). Over the
 * limit: 429 with Retry-After and x-ratelimit-* headers. Applies to /ws upgrades too; health,
 * readiness and metrics opt out per route. Behind a proxy set TRUST_PROXY so the IP is the client's.
 * `rateBudget` reads and charges the same per-client counter for size-weighted routes.
 * With BUS=redis the counters are shared by every process on the same Redis.
 */
export default fp(async (app) => {
  const { RATE_LIMIT_MAX, RATE_LIMIT_WINDOW_MS } = app.config
  if (RATE_LIMIT_MAX === 0) {
    app.decorate('rateBudget', OFF)
    return
  }
  await app.register(rateLimit, {
    max: RATE_LIMIT_MAX,
    timeWindow: RATE_LIMIT_WINDOW_MS,
    // injectWS requests carry no socket address.
    keyGenerator: (request) => request.ip ?? 'unknown',
    ...sharedStore(app),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'rate_limited',
      message: `more than ${context.max} requests in ${context.after}; retry after ${Math.ceil(context.ttl / 1000)} s`
    })
  })
  // Without options the limiter shares the global store, key and window with every route's hook.
  const limiter = app.createRateLimit()
  app.decorate('rateBudget', {
    async read (request) {
      const r = await limiter(request, { increment: false })
      if (r.isAllowed) return undefined
      return { max: r.max, remaining: r.remaining, retryAfterS: r.ttlInSeconds }
    },
    async charge (request, units) {
      // The store counts one at a time; past the limit further counts change nothing.
      for (let i = 0; i < Math.min(units, RATE_LIMIT_MAX + 1); i++) {
        const r = await limiter(request)
        if (r.isAllowed || r.isExceeded) return
      }
    }
  } satisfies RateBudget)
}, { name: 'rate-limit', dependencies: ['config'] })
