import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorResponse } from '../src/http/api-schemas.js'
import { IndicatorsQuery, IndicatorsResponse } from '../src/http/indicator-schemas.js'
import { parseIndicatorParams, type RawIndicatorParams } from '../src/indicators/indicator-specs.js'

const indicators: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/v1/indicators', {
    schema: {
      tags: ['market data'],
      summary: 'An indicator (sma, ema, rsi, macd, bbands) over the close, aligned with candle open times',
      description: 'The candles are chosen exactly as on /api/v1/candles (symbol, interval, from, to, limit). Each value equals the computation over the whole stored history: the warm-up bars before the first candle are read too, and a candle with fewer than `warmup` stored bars before it gets no row. Warm-up: sma and bbands period-1; ema 10*(period+1); rsi 20*period+1; macd 10*(slow+1)+10*(signal+1).',
      querystring: IndicatorsQuery,
      response: { 200: IndicatorsResponse, 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse }
    },
    preValidation: [
      app.foldCandleParams(IndicatorsQuery),
      // The indicator's own parameters have always been answered before the candle window's, so a
      // bad `name` wins over a missing symbol; compute() reads them again.
      async (request) => { parseIndicatorParams(request.query as RawIndicatorParams) }
    ]
  }, async (request, reply) => await app.indicators.compute(request.query, request.candleParamKeys ?? {}, reply.clientGone))
}

export default indicators
