import fp from 'fastify-plugin'
import { UdfFeed } from '../../src/udf/udf-feed.js'

declare module 'fastify' {
  interface FastifyInstance {
    udf: UdfFeed
  }
}

/** The TradingView UDF datafeed over the store and the market-data read side. */
export default fp(async (app) => {
  app.decorate('udf', new UdfFeed(app.store, app.marketData, { maxBars: app.config.HTTP_MAX_LIMIT }))
}, { name: 'udf', dependencies: ['config', 'store', 'market-data'] })
