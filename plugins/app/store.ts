import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { CandleStore } from '../../src/store/candle-store.js'
import { openConfiguredStore } from '../../src/store-settings.js'

declare module 'fastify' {
  interface FastifyInstance {
    store: CandleStore
  }
}

export interface StorePluginOptions {
  /** Use this store instead of opening one (tests, subcommands); whoever opened it closes it. */
  store?: CandleStore
}

/** Opens the store STORAGE names and says where it is. */
async function openStore (app: FastifyInstance): Promise<CandleStore> {
  const log = app.log.child({ module: 'store' })
  const store = await openConfiguredStore(app.config, { log })
  log.info({ path: store.path, engine: store.engineVersion }, 'candle store ready')
  return store
}

/** Opens the candle store (running migrations) and closes it after everything else. */
export default fp<StorePluginOptions>(async (app, opts) => {
  let store = opts.store
  if (store === undefined) {
    const opened = await openStore(app)
    app.addHook('onClose', async () => { await opened.close() })
    store = opened
  } else {
    app.log.info({ engine: store.engineVersion }, 'candle store ready')
  }
  app.decorate('store', store)
}, { name: 'store', dependencies: ['config'] })

export type { CandleStore }
