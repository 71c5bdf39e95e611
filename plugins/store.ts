import fp from 'fastify-plugin'
import type { CandleStore } from '../src/store/candle-store.js'
import { DuckDbCandleStore } from '../src/store/duckdb-candle-store.js'
import { storeOptions } from '../src/store/store-options.js'

declare module 'fastify' {
  interface FastifyInstance {
    store: DuckDbCandleStore
  }
}

export interface StorePluginOptions {
  /** Use this store instead of opening one (tests, subcommands); the app will not close it. */
  store?: DuckDbCandleStore
}

/** Opens the DuckDB candle store (running migrations) and closes it after everything else. */
export default fp<StorePluginOptions>(async (app, opts) => {
  const store = opts.store ?? await DuckDbCandleStore.open({ ...storeOptions(app.config), log: app.log.child({ module: 'store' }) })
  app.log.info({ path: store.path, engine: store.engineVersion }, 'candle store ready')
  app.decorate('store', store)
  if (opts.store === undefined) app.addHook('onClose', async () => { await store.close() })
}, { name: 'store', dependencies: ['config'] })

export type { CandleStore }
