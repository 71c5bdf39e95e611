import rateLimit from '@fastify/rate-limit'
import fp from 'fastify-plugin'

/**
 * Per-client-IP request limit (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS; off when 0). Over the
 * limit: 429 with Retry-After and x-ratelimit-* headers. Applies to /ws upgrades too; health,
 * readiness and metrics opt out per route. Behind a proxy set TRUST_PROXY so the IP is the client's.
 */
export default fp(async (app) => {
  const { RATE_LIMIT_MAX, RATE_LIMIT_WINDOW_MS } = app.config
  if (RATE_LIMIT_MAX === 0) return
  await app.register(rateLimit, {
    max: RATE_LIMIT_MAX,
    timeWindow: RATE_LIMIT_WINDOW_MS,
    // injectWS requests carry no socket address.
    keyGenerator: (request) => request.ip ?? 'unknown',
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'rate_limited',
      message: `more than ${context.max} requests in ${context.after}; retry after ${Math.ceil(context.ttl / 1000)} s`
    })
  })
}, { name: 'rate-limit', dependencies: ['config'] })
