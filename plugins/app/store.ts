import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { maskPassword } from '../../src/settings/parse-setting.js'
import type { CandleStore } from '../../src/store/candle-store.js'
import { StorageError } from '../../src/store/duckdb/database-folder.js'
import { DuckDbCandleStore } from '../../src/store/duckdb/duckdb-candle-store.js'
import { openPostgresStore } from '../../src/store/postgres/postgres-candle-store.js'
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

const POSTGRES_ADVICE = 'check that PostgreSQL runs, is reachable from here and accepts this user and database, or fix --database-url or DATABASE_URL'

/** Opens the store STORAGE names: a DuckDB file (or in-memory DuckDB), or PostgreSQL at DATABASE_URL. */
async function openStore (app: FastifyInstance): Promise<CandleStore> {
  const log = app.log.child({ module: 'store' })
  if (app.config.STORAGE === 'postgres') {
    const url = maskPassword(app.config.DATABASE_URL)
    let store: CandleStore
    try {
      store = await openPostgresStore({ url: app.config.DATABASE_URL })
    } catch (err) {
      // Told in one line (exit 4) like a DuckDB file that cannot be opened: a server that is down,
      // a wrong password or database name are all the operator's to fix.
      throw new StorageError(`cannot open the PostgreSQL store at ${url}: ${(err as Error).message}`, url, POSTGRES_ADVICE)
    }
    log.info({ url, engine: store.engineVersion }, 'candle store ready')
    return store
  }
  const store = await DuckDbCandleStore.open({ ...storeOptions(app.config), log })
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
