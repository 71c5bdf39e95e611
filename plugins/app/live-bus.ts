import fp from 'fastify-plugin'
import { InProcessLiveBus, type LiveBus } from '../../src/live/live-bus.js'
import { RedisLiveBus } from '../../src/live/redis-live-bus.js'
import { shareStoreWrites } from '../../src/live/write-notices.js'

declare module 'fastify' {
  interface FastifyInstance {
    liveBus: LiveBus
  }
}

/**
 * The bus between the ingestor (publisher) and the /ws hub (subscriber): in process with
 * BUS=local, Redis pub/sub with BUS=redis. Over Redis the store's writes go out as notices and
 * other processes' notices come into the store's index (which drops their cached bodies). The
 * Redis connection is made in the background: a server that is down at start delays nothing,
 * and /readyz answers 503 until messages flow.
 */
export default fp(async (app) => {
  const { BUS, REDIS_URL, REDIS_PREFIX, HTTP_DEFAULT_LIMIT } = app.config
  if (BUS === 'local') {
    app.decorate('liveBus', new InProcessLiveBus())
    return
  }
  const bus = new RedisLiveBus({
    url: REDIS_URL,
    prefix: REDIS_PREFIX,
    store: app.store,
    publishLimit: HTTP_DEFAULT_LIMIT,
    log: app.log.child({ module: 'live-bus' })
  })
  const unshare = shareStoreWrites(app.store, bus)
  app.decorate('liveBus', bus)
  // Registered after the store, so this runs before the store closes.
  app.addHook('onClose', async () => {
    unshare()
    await bus.close()
  })
}, { name: 'live-bus', dependencies: ['config', 'store'] })
