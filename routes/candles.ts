import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { CandlesQuery, CandlesResponse, ErrorResponse } from '../src/http/api-schemas.js'

const candles: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/v1/candles', {
    schema: {
      tags: ['market data'],
      summary: 'OHLCV candles, ascending by open time',
      description: 'No bounds: the latest `limit` candles. `from` only: the first `limit` at or after it. `to` only: the last `limit` at or before it (page backwards by passing the first ts - 1 as the next `to`). Both: the first `limit` in the range. Intervals not stored natively are rolled up from 1m (1w buckets open Monday 00:00 UTC, 1M on the first of the month).',
      querystring: CandlesQuery,
      response: { 200: CandlesResponse, 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse }
    },
    preValidation: app.foldCandleParams(CandlesQuery)
  }, async (request, reply) => {
    // The body is pre-serialized (and cached for latest-N requests) in the schema's shape; Fastify
    // sends a string with a JSON content type as-is, so the typed reply is told it is the payload.
    const body = await app.marketData.candlesBody(request.query, request.candleParamKeys ?? {}, reply.clientGone)
    return reply.type('application/json; charset=utf-8').send(body as never)
  })
}

export default candles
