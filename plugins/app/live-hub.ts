import websocket from '@fastify/websocket'
import fp from 'fastify-plugin'
import { LiveFeed } from '../../src/live/live-feed.js'
import { LiveHub, type HubOptions } from '../../src/live/hub.js'

/** Test hooks: the clock keepalive, stalls and the inbound budget read. */
export type LiveHubPluginOptions = Pick<HubOptions, 'now'>

declare module 'fastify' {
  interface FastifyInstance {
    liveHub: LiveHub
    /** What the hub sends: the bus's 1m candles as per-topic messages (tests await its idle()). */
    liveFeed: LiveFeed
  }
}

/**
 * The /ws hub over @fastify/websocket, and the feed that gives it the live bus's candles as
 * per-topic messages. Shutdown stops the feed, then closes every client with 1001 before the
 * server stops.
 */
export default fp<LiveHubPluginOptions>(async (app, opts) => {
  const c = app.config
  const log = app.log.child({ module: 'ws' })
  const feed = new LiveFeed({
    bus: app.liveBus,
    store: app.store,
    emitPartials: c.WS_EMIT_PARTIALS,
    partialThrottleMs: c.WS_PARTIAL_THROTTLE_MS,
    log
  })
  const hub = new LiveHub({
    feed,
    store: app.store,
    log,
    pingPeriodMs: c.WS_PING_PERIOD_MS,
    pongTimeoutMs: c.WS_PONG_TIMEOUT_MS,
    limits: { maxQueuedMessages: c.WS_SEND_QUEUE_MAX_MSGS, maxQueuedBytes: c.WS_SEND_QUEUE_MAX_BYTES, stallTimeoutMs: c.WS_STALL_TIMEOUT_MS },
    maxClients: c.WS_MAX_CLIENTS,
    maxSubscriptions: c.WS_MAX_SUBSCRIPTIONS,
    maxSnapshot: c.HTTP_MAX_LIMIT,
    broadcastTopics: c.LIVE ? c.LIVE_SYMBOLS.flatMap((symbol) => c.LIVE_INTERVALS.map((interval) => ({ symbol, interval }))) : [],
    isKnownSymbol: (symbol) => app.marketData.isKnown(symbol),
    now: opts.now
  })
  app.decorate('liveFeed', feed)
  app.decorate('liveHub', hub)
  await app.register(websocket, {
    options: { maxPayload: c.WS_MAX_MESSAGE_BYTES, perMessageDeflate: false },
    preClose: async () => {
      feed.close()
      await hub.close()
      await new Promise<void>((resolve) => app.websocketServer.close(() => resolve()))
    }
  })
}, { name: 'live-hub', dependencies: ['config', 'store', 'live-bus', 'market-data'] })
