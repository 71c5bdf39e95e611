import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { packageInfo } from '../../src/project.js'

/** OpenAPI 3 generated from the route schemas (served at /openapi.json) and its page at /docs. */
export default fp(async (app) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Trading Viewer API',
        version: packageInfo().version,
        description: 'Binance spot candles (OHLCV) stored in DuckDB, served over REST and a live WebSocket feed at /ws. Every error is {"error": code, "message": sentence}, except the UDF datafeed under /udf, which answers {"s": "error", "errmsg": sentence} as UDF clients expect.'
      },
      tags: [
        { name: 'market data', description: 'Symbols, intervals and candles' },
        { name: 'live', description: 'The WebSocket feed' },
        { name: 'tradingview', description: 'TradingView UDF datafeed for the Charting Library\'s UDFCompatibleDatafeed' },
        { name: 'health', description: 'Liveness and readiness probes' },
        { name: 'meta', description: 'Versions and runtime metrics' },
        { name: 'chart', description: 'The built-in live chart page and its files' }
      ]
    }
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // The library's policy (its script and style hashes) minus `upgrade-insecure-requests`: the
    // service speaks plain HTTP, and that directive makes a browser on another machine fetch the
    // page's assets over https, leaving it blank. Behind a TLS proxy the assets, all 'self', stay
    // on https anyway.
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/g, '')
  })
}, { name: 'swagger' })
