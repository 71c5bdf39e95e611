// The store contract against the DuckDB store (in memory).
import t from 'tap'
import { DuckDbCandleStore } from '../../../src/store/duckdb/duckdb-candle-store.js'
import { MEMORY_PATH } from '../../../src/store/duckdb/database.js'
import { storeContract } from './store-contract.js'

storeContract(t, async (t) => {
  const store = await DuckDbCandleStore.open({ path: MEMORY_PATH, threads: 2 })
  t.teardown(() => store.close())
  return store
})
