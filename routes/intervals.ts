import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ErrorResponse, IntervalsQuery, IntervalsRangeQuery, IntervalsResponse } from '../src/http/api-schemas.js'
import { parseFlag, requireSymbol } from '../src/query/candle-request.js'

/** Intervals served for a symbol, as names or with their stored time ranges. */
const intervals: FastifyPluginAsyncTypebox = async (app) => {
  const answer = async (rawSymbol: string | undefined, query: { include_ranges?: string, includeRanges?: string }) => {
    const symbol = requireSymbol(rawSymbol)
    const withRanges = query.include_ranges !== undefined
      ? parseFlag(query.include_ranges, 'include_ranges')
      : parseFlag(query.includeRanges, 'includeRanges')
    const list = await app.marketData.intervals(symbol)
    return { symbol, intervals: withRanges ? list : list.map((i) => i.name) }
  }
  const response = { 200: IntervalsResponse, 400: ErrorResponse, 404: ErrorResponse }

  app.get('/api/v1/intervals', {
    schema: { tags: ['market data'], summary: 'Intervals served for a symbol', querystring: IntervalsQuery, response }
  }, async (request) => answer(request.query.symbol, request.query))

  app.get('/api/v1/symbols/:symbol/intervals', {
    schema: {
      tags: ['market data'],
      summary: 'Intervals served for a symbol (path form)',
      params: Type.Object({ symbol: Type.String({ maxLength: 40 }) }),
      querystring: Type.Object(IntervalsRangeQuery),
      response
    }
  }, async (request) => answer(request.params.symbol, request.query))
}

export default intervals
