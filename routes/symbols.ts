import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorResponse, SymbolsQuery, SymbolsResponse } from '../src/http/api-schemas.js'
import { parseFlag } from '../src/query/candle-request.js'

const symbols: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/v1/symbols', {
    schema: {
      tags: ['market data'],
      summary: 'Every stored or live symbol',
      querystring: SymbolsQuery,
      response: { 200: SymbolsResponse, 400: ErrorResponse }
    }
  }, async (request) => ({
    symbols: app.marketData.symbols({ q: request.query.q, activeOnly: parseFlag(request.query.active, 'active') })
  }))
}

export default symbols
