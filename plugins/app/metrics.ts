import fp from 'fastify-plugin'
import { RouteLatency } from '../../src/metrics/latency-window.js'
import { PrometheusMetrics } from '../../src/metrics/prometheus.js'

declare module 'fastify' {
  interface FastifyInstance {
    routeLatency: RouteLatency
    prometheus: PrometheusMetrics
  }
}

/**
 * Times every routed request into per-route windows ("GET /api/v1/candles") for /stats and into
 * Prometheus histograms for /metrics. Registered after the plugins whose numbers it reads, and
 * before swagger and the routes: a route in a context created before the hook would miss it.
 */
export default fp(async (app) => {
  const latency = new RouteLatency()
  const prometheus = new PrometheusMetrics({
    ingest: () => app.ingest,
    hub: () => app.liveHub.stats(),
    cache: () => app.marketData.cache
  })
  app.decorate('routeLatency', latency)
  app.decorate('prometheus', prometheus)
  app.addHook('onReady', async () => { prometheus.watchStore(app.store) })
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, statusCode: reply.statusCode, ms: reply.elapsedTime }, 'request')
    const route = request.routeOptions.url
    // Unknown paths share one label, so probing cannot blow up the metric's cardinality.
    prometheus.observeRequest(request.method, route ?? '(unmatched)', reply.statusCode, reply.elapsedTime)
    if (route !== undefined) latency.record(`${request.method} ${route}`, reply.elapsedTime)
  })
}, { name: 'metrics', dependencies: ['store', 'ingest', 'live-hub', 'market-data'] })
