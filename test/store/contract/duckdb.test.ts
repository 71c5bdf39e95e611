// The store contract against the DuckDB store (in memory).
import t, { type Test } from 'tap'
import { DuckDbCandleStore } from '../../../src/store/duckdb/duckdb-candle-store.js'
import { MEMORY_PATH } from '../../../src/store/duckdb/database.js'
import { storeContract } from './store-contract.js'

async function open (t: Test): Promise<DuckDbCandleStore> {
  const store = await DuckDbCandleStore.open({ path: MEMORY_PATH, threads: 2 })
  t.teardown(() => store.close())
  return store
}

t.test('the contract below runs against DuckDB', async (t) => {
  t.match((await open(t)).engineVersion, /^DuckDB v1\.5/)
})

storeContract(t, open)
