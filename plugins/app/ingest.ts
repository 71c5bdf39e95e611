import { hostname } from 'node:os'
import fp from 'fastify-plugin'
import type { Config } from '../../src/config.js'
import { connectExchange, type ExchangeTuning } from '../../src/exchange/connect.js'
import type { Exchange } from '../../src/exchange/exchange.js'
import type { SimulatorOptions } from '../../src/exchange/simulator/server.js'
import { LIVE_OFF, type IngestStatus } from '../../src/ingest/ingest-status.js'
import { LeaderIngest, type Ingestor } from '../../src/ingest/leadership.js'
import { LiveIngestor, type LiveIngestorOptions } from '../../src/ingest/live-ingestor.js'
import type { LeaderLockOptions } from '../../src/store/postgres/leader-lock.js'
import { PostgresCandleStore } from '../../src/store/postgres/postgres-candle-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    ingest: IngestStatus
  }
}

export interface IngestPluginOptions {
  /** Use this exchange instead of building one from the config (tests); its owner closes it. */
  exchange?: Exchange
  /** Tuning for tests: thresholds that would otherwise take minutes. */
  ingestor?: Partial<Pick<LiveIngestorOptions, 'staleAfterMs' | 'downAlertMs' | 'retryMinMs' | 'retryMaxMs' | 'unreachableLogMs'>>
  binance?: ExchangeTuning
  simulator?: SimulatorOptions
  /**
   * Leader election among ingest processes sharing the store: on by default for a PostgreSQL store
   * (only the leader ingests, its writes fenced by its epoch); false turns it off; an object tunes
   * the lock (tests).
   */
  leadership?: boolean | Partial<LeaderLockOptions>
}

/**
 * Live ingestion when LIVE is on: the exchange client (Binance, or the in-process simulator with
 * EXCHANGE=simulator), the ingestor publishing on the live bus, and their orderly stop before the
 * store closes. With LIVE off it reports an idle status.
 */
export default fp<IngestPluginOptions>(async (app, opts) => {
  const config: Config = app.config
  if (!config.LIVE) {
    app.decorate('ingest', LIVE_OFF)
    return
  }
  const log = app.log.child({ module: 'ingest' })
  // Whoever creates the exchange closes it: an injected one is left to its owner.
  let exchange = opts.exchange
  let closeExchange = async (): Promise<void> => {}
  if (exchange === undefined) {
    const connection = { kind: config.EXCHANGE, restUrl: config.BINANCE_REST_URL, wsUrl: config.BINANCE_WS_URL, simulatorSpeed: config.SIMULATOR_SPEED, symbols: config.LIVE_SYMBOLS }
    const connected = await connectExchange(connection, log, { tuning: opts.binance, simulator: opts.simulator })
    exchange = connected.exchange
    closeExchange = connected.close
  }
  const ingestorOptions: LiveIngestorOptions = {
    exchange,
    store: app.store,
    bus: app.liveBus,
    symbols: config.LIVE_SYMBOLS,
    lookbackMs: config.LIVE_LOOKBACK,
    log,
    publishLimit: config.HTTP_DEFAULT_LIMIT,
    ...opts.ingestor
  }
  const store = app.store
  let ingestor: Ingestor
  if (store instanceof PostgresCandleStore && opts.leadership !== false) {
    const tuning = typeof opts.leadership === 'object' ? opts.leadership : {}
    const election = await store.leaderLock({ holder: `${hostname()}:${process.pid}`, ...tuning })
    ingestor = new LeaderIngest({
      election,
      createIngestor: () => new LiveIngestor(ingestorOptions),
      // What the previous leader wrote is in the database, not (all) in this process's index.
      beforeLeading: () => store.reloadIndex(),
      log
    })
  } else {
    ingestor = new LiveIngestor(ingestorOptions)
  }
  app.decorate('ingest', ingestor)
  // preClose runs before any onClose hook, so the store is still open for the final writes.
  app.addHook('preClose', async () => {
    await closeExchange()
    await ingestor.stop()
  })
  app.addHook('onReady', async () => { ingestor.start() })
}, { name: 'ingest', dependencies: ['config', 'store', 'live-bus'] })
