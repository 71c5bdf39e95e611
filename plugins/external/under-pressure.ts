import underPressure from '@fastify/under-pressure'
import fp from 'fastify-plugin'
import { ApiError } from '../../src/query/api-error.js'

const RETRY_AFTER_S = 5

/**
 * Load shedding: while the event loop lags more than MAX_EVENT_LOOP_DELAY_MS, requests get 503
 * with Retry-After instead of piling up. Liveness and metrics stay answered; /readyz reports it.
 */
export default fp(async (app) => {
  const maxDelay = app.config.MAX_EVENT_LOOP_DELAY_MS
  await app.register(underPressure, {
    maxEventLoopDelay: maxDelay,
    // Well above the 10 ms histogram resolution: a window without samples counts as infinite lag.
    sampleInterval: Math.max(100, Math.min(1000, Math.floor(maxDelay / 2))),
    retryAfter: RETRY_AFTER_S,
    // A rejection reaches the error handler, which answers in the API's {error, message} shape.
    pressureHandler: async (_request, reply, type) => {
      reply.header('retry-after', String(RETRY_AFTER_S))
      throw new ApiError(503, 'service_unavailable', `the server is overloaded (${type}); retry in ${RETRY_AFTER_S} s`)
    }
  })
}, { name: 'under-pressure', dependencies: ['config'] })
