import fp from 'fastify-plugin'
import { Indicators } from '../../src/indicators/indicators.js'

declare module 'fastify' {
  interface FastifyInstance {
    indicators: Indicators
  }
}

/** Server-side indicators over the stored candles. */
export default fp(async (app) => {
  app.decorate('indicators', new Indicators(app.marketData, {
    defaultLimit: app.config.HTTP_DEFAULT_LIMIT,
    maxLimit: app.config.HTTP_MAX_LIMIT
  }))
}, { name: 'indicators', dependencies: ['config', 'market-data'] })
