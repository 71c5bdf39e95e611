// The store contract against the PostgreSQL store, each test on a database of its own.
import t, { type Test } from 'tap'
import { openPostgresStore, type PostgresCandleStore } from '../../../src/store/postgres/postgres-candle-store.js'
import { postgresDatabase, postgresSkip } from '../../services/postgres.js'
import { storeContract } from './store-contract.js'

async function open (t: Test): Promise<PostgresCandleStore> {
  const store = await openPostgresStore({ url: await postgresDatabase(t), poolSize: 4 })
  t.teardown(() => store.close())
  return store
}

t.test('the PostgreSQL store keeps the store contract', { skip: postgresSkip() }, async (t) => {
  t.test('the contract below runs against PostgreSQL 15 or later', async (t) => {
    t.match((await open(t)).engineVersion, /^PostgreSQL 1[5-9]/)
  })
  storeContract(t, open)
})
