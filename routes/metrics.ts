import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { OPERATIONAL_ROUTE } from '../src/http/route-config.js'

const metrics: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/metrics', {
    config: OPERATIONAL_ROUTE,
    schema: {
      tags: ['meta'],
      summary: 'Prometheus metrics (text exposition format)',
      description: 'HTTP request durations by route and status, /ws clients and messages, ingestion gauges and counters, DuckDB write batches, process metrics. Exempt from rate limiting.',
      response: { 200: Type.String({ description: 'text/plain; version=0.0.4' }) }
    }
  }, async (_request, reply) => {
    const { contentType, body } = await app.prometheus.render()
    return reply.type(contentType).send(body)
  })
}

export default metrics
