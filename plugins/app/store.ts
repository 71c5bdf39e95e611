import fp from 'fastify-plugin'
import type { CandleStore } from '../../src/store/candle-store.js'
import { DuckDbCandleStore } from '../../src/store/duckdb/duckdb-candle-store.js'
import { storeOptions } from '../../src/store-settings.js'

declare module 'fastify' {
  interface FastifyInstance {
    store: CandleStore
  }
}

export interface StorePluginOptions {
  /** Use this store instead of opening one (tests, subcommands); whoever opened it closes it. */
  store?: CandleStore
}

/** Opens the DuckDB candle store (running migrations) and closes it after everything else. */
export default fp<StorePluginOptions>(async (app, opts) => {
  let store = opts.store
  if (store === undefined) {
    const opened = await DuckDbCandleStore.open({ ...storeOptions(app.config), log: app.log.child({ module: 'store' }) })
    app.log.info({ path: opened.path, engine: opened.engineVersion }, 'candle store ready')
    app.addHook('onClose', async () => { await opened.close() })
    store = opened
  } else {
    app.log.info({ engine: store.engineVersion }, 'candle store ready')
  }
  app.decorate('store', store)
}, { name: 'store', dependencies: ['config'] })

export type { CandleStore }
