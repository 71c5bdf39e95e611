import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import fp from 'fastify-plugin'
import { StatsResponse } from '../src/http/api-schemas.js'
import { OPERATIONAL_ROUTE } from '../src/http/route-config.js'
import { storeAnswers } from '../src/http/store-answers.js'

/** The original service's runtime metrics, plus the role, cache, ingestion, /ws and live bus counters. */
const stats: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/stats', {
    config: OPERATIONAL_ROUTE,
    schema: { tags: ['meta'], summary: 'Runtime metrics (seed shape)', response: { 200: StatsResponse } }
  }, async () => {
    return {
      uptime_seconds: (Date.now() - app.startedAt) / 1000,
      role: app.config.ROLE,
      threads: app.config.THREADS,
      backend_active: await storeAnswers(app.store),
      ...app.ingest.gauges(),
      routes: app.routeLatency.snapshot(),
      cache: app.marketData.cache.stats(),
      ws: app.liveHub.stats(),
      bus: app.liveBus.status()
    }
  })
}

// Encapsulated like any route plugin; fastify-plugin only names it and checks what it reads.
export default fp(stats, { name: 'stats-routes', encapsulate: true, dependencies: ['uptime', 'config', 'store', 'ingest', 'metrics', 'market-data', 'live-hub', 'live-bus'] })
