import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import fp from 'fastify-plugin'
import { ErrorResponse, HealthResponse, ReadyResponse } from '../src/http/api-schemas.js'
import { OPERATIONAL_ROUTE } from '../src/http/route-config.js'
import { storeAnswers } from '../src/http/store-answers.js'

/** Liveness for probes and the front end's health page, and readiness for load balancers. */
const health: FastifyPluginAsyncTypebox = async (app) => {
  const schema = {
    tags: ['health'],
    summary: 'Liveness: the store answers and live ingestion is not stale',
    description: '200 with status "ok"; 503 with status "error" and a details list when the store does not answer, a live symbol has had no message for 3 intervals, or the exchange stream has been down for over 2 minutes. A host of the exchange that has never answered is listed in details as never_connected (with host and last_error) from its first failure, without failing the check.',
    response: { 200: HealthResponse, 503: HealthResponse }
  }
  for (const url of ['/healthz', '/api/healthz']) {
    app.get(url, { schema, config: OPERATIONAL_ROUTE }, async (_request, reply) => {
      const duckdbOk = await storeAnswers(app.store)
      const { live, issues, notices = [] } = app.ingest.health()
      const failing = duckdbOk ? issues : [{ issue: 'duckdb_unavailable' }, ...issues]
      // Notices (the exchange never reached yet) are told at once but fail nothing: the container
      // is not restarted for a network problem before the stream has been down for 2 minutes.
      const details = [...failing, ...notices]
      const body = {
        status: failing.length === 0 ? 'ok' : 'error',
        duckdb: duckdbOk ? 'ready' : 'error',
        // Whole seconds: the original front end prints the number as it comes (326.1 -> 5m 26.100000000000023s).
        uptimeSec: Math.floor((Date.now() - app.startedAt) / 1000),
        role: app.config.ROLE,
        live,
        ...(details.length === 0 ? {} : { details })
      }
      return reply.code(failing.length === 0 ? 200 : 503).send(body)
    })
  }

  app.get('/readyz', {
    config: OPERATIONAL_ROUTE,
    schema: {
      tags: ['health'],
      summary: 'Readiness: migrations ran, the store answers, the live bus is connected and the server is not overloaded',
      response: { 200: ReadyResponse, 503: ReadyResponse, 500: ErrorResponse }
    }
  }, async (_request, reply) => {
    if (app.isUnderPressure()) {
      return reply.code(503).header('retry-after', '5').send({ status: 'not_ready', reason: 'overloaded: the event loop lags' })
    }
    if (!(await storeAnswers(app.store))) return reply.code(503).send({ status: 'not_ready', reason: 'the candle store does not answer' })
    // While the bus is down this replica's /ws clients would get nothing: send them elsewhere.
    if (!app.liveBus.ready()) return reply.code(503).header('retry-after', '2').send({ status: 'not_ready', reason: 'the live bus is disconnected (Redis); reconnecting' })
    return { status: 'ready' }
  })
}

// Encapsulated like any route plugin; fastify-plugin only names it and checks what it reads.
export default fp(health, { name: 'health-routes', encapsulate: true, dependencies: ['uptime', 'config', 'store', 'ingest', 'live-bus', 'under-pressure'] })
