// buildApp(config): the whole service as a Fastify instance, ready for listen() or inject().
// Plugins first (each decorates the instance with one concern), then one route plugin per resource;
// ROLE picks which of them a process runs (src/roles.ts).
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import candleParamsPlugin from '../plugins/app/candle-params.js'
import clientGonePlugin from '../plugins/app/client-gone.js'
import configPlugin from '../plugins/app/config.js'
import corsPlugin from '../plugins/external/cors.js'
import errorsPlugin from '../plugins/app/errors.js'
import maintenancePlugin from '../plugins/app/maintenance.js'
import rateLimitPlugin from '../plugins/external/rate-limit.js'
import securityPlugin from '../plugins/app/security.js'
import swaggerPlugin from '../plugins/external/swagger.js'
import underPressurePlugin from '../plugins/external/under-pressure.js'
import uptimePlugin from '../plugins/app/uptime.js'
import ingestPlugin, { type IngestPluginOptions } from '../plugins/app/ingest.js'
import noIngestPlugin from '../plugins/app/no-ingest.js'
import liveBusPlugin from '../plugins/app/live-bus.js'
import liveHubPlugin, { type LiveHubPluginOptions } from '../plugins/app/live-hub.js'
import wsHandshakePlugin from '../plugins/app/ws-handshake.js'
import marketDataPlugin from '../plugins/app/market-data.js'
import metricsPlugin from '../plugins/app/metrics.js'
import storePlugin from '../plugins/app/store.js'
import udfPlugin from '../plugins/app/udf.js'
import indicatorsPlugin from '../plugins/app/indicators.js'
import candlesRoutes from '../routes/candles.js'
import chartRoutes from '../routes/chart.js'
import exportRoute from '../routes/export.js'
import healthRoutes from '../routes/health.js'
import intervalsRoutes from '../routes/intervals.js'
import metricsRoutes from '../routes/metrics.js'
import openapiRoutes from '../routes/openapi.js'
import statsRoutes from '../routes/stats.js'
import symbolsRoutes from '../routes/symbols.js'
import versionRoutes from '../routes/version.js'
import wsRoutes from '../routes/ws.js'
import udfRoutes from '../routes/udf.js'
import indicatorsRoutes from '../routes/indicators.js'
import type { Config } from './config.js'
import { pinoOptions } from './log.js'
import { ROLE_PARTS } from './roles.js'
import type { CandleStore } from './store/candle-store.js'

/**
 * Every route plugin, in registration order (the order of the OpenAPI document): operational
 * ones (health, readiness, metrics, stats) in every role, the client API where the role serves it.
 */
const ROUTES: ReadonlyArray<readonly [FastifyPluginAsync, 'operational' | 'client']> = [
  [healthRoutes, 'operational'],
  [versionRoutes, 'client'],
  [statsRoutes, 'operational'],
  [symbolsRoutes, 'client'],
  [intervalsRoutes, 'client'],
  [candlesRoutes, 'client'],
  [exportRoute, 'client'],
  [wsRoutes, 'client'],
  [udfRoutes, 'client'],
  [indicatorsRoutes, 'client'],
  [metricsRoutes, 'operational'],
  [openapiRoutes, 'client'],
  [chartRoutes, 'client']
]

export interface BuildOptions {
  /** Logger settings; defaults to LOG_LEVEL, pretty-printed only on a TTY. */
  logger?: FastifyServerOptions['logger']
  /** Share an already open store instead of opening one from the config; whoever opened it closes it. */
  store?: CandleStore
  /** Exchange, simulator and threshold overrides for live ingestion (tests). */
  ingest?: IngestPluginOptions
  /** Clock override for the /ws hub's keepalive, stall checks and inbound budget (tests). */
  hub?: LiveHubPluginOptions
}

export function loggerOptions (config: Config): FastifyServerOptions['logger'] {
  return pinoOptions(config.LOG_LEVEL)
}

/** TRUST_PROXY for Fastify, which trusts no one for a bare hop count: "trust the nearest n proxies". */
function trustProxyOption (trust: Config['TRUST_PROXY']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust
}

export async function buildApp (config: Config, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? loggerOptions(config),
    // The API takes no request bodies.
    bodyLimit: 4096,
    requestTimeout: 30_000,
    // Longer than the 60 s idle timeout of common load balancers, so they close first.
    keepAliveTimeout: 72_000,
    connectionTimeout: 60_000,
    trustProxy: trustProxyOption(config.TRUST_PROXY),
    return503OnClosing: true,
    // Two info lines per request would dominate a busy chart API; requests are logged at debug.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } }
  }).withTypeProvider<TypeBoxTypeProvider>()
  // A client gets 15 s to send its headers (slowloris protection).
  app.server.headersTimeout = 15_000

  const parts = ROLE_PARTS[config.ROLE]
  await app.register(configPlugin, { config })
  await app.register(uptimePlugin)
  await app.register(errorsPlugin)
  await app.register(candleParamsPlugin)
  await app.register(securityPlugin)
  await app.register(corsPlugin)
  await app.register(rateLimitPlugin)
  await app.register(underPressurePlugin)
  await app.register(storePlugin, { store: opts.store })
  await app.register(liveBusPlugin)
  if (parts.ingest) await app.register(ingestPlugin, opts.ingest ?? {})
  else await app.register(noIngestPlugin)
  await app.register(clientGonePlugin)
  await app.register(marketDataPlugin)
  await app.register(liveHubPlugin, opts.hub ?? {})
  await app.register(wsHandshakePlugin)
  if (parts.maintenance) await app.register(maintenancePlugin)
  await app.register(udfPlugin)
  await app.register(indicatorsPlugin)
  await app.register(metricsPlugin)
  // The docs describe the routes registered after them: only the client API's are worth a page.
  if (parts.clientApi) await app.register(swaggerPlugin)

  for (const [routes, part] of ROUTES) {
    if (part === 'operational' || parts.clientApi) await app.register(routes)
  }
  return app
}
