import fp from 'fastify-plugin'
import { MarketData } from '../../src/query/market-data.js'

declare module 'fastify' {
  interface FastifyInstance {
    marketData: MarketData
  }
}

/** The read side the REST routes use: candle bodies with the latest-N cache, symbols, intervals. */
export default fp(async (app) => {
  app.decorate('marketData', new MarketData(app.store, {
    limits: { defaultLimit: app.config.HTTP_DEFAULT_LIMIT, maxLimit: app.config.HTTP_MAX_LIMIT },
    live: app.ingest,
    cacheMaxBytes: app.config.LATEST_CACHE_MAX_BYTES,
    queryTimeoutMs: app.config.HTTP_QUERY_TIMEOUT_MS
  }))
}, { name: 'market-data', dependencies: ['config', 'store', 'ingest', 'client-gone'] })
