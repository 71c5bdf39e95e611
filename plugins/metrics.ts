import fp from 'fastify-plugin'
import { RouteLatency } from '../src/metrics/latency-window.js'

declare module 'fastify' {
  interface FastifyInstance {
    routeLatency: RouteLatency
    startedAt: number
  }
}

/** Times every routed request into per-route windows ("GET /api/v1/candles") for /stats. */
export default fp(async (app) => {
  const latency = new RouteLatency()
  app.decorate('routeLatency', latency)
  app.decorate('startedAt', Date.now())
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, statusCode: reply.statusCode, ms: reply.elapsedTime }, 'request')
    const route = request.routeOptions.url
    if (route === undefined) return
    latency.record(`${request.method} ${route}`, reply.elapsedTime)
  })
}, { name: 'metrics' })
