// The store contract against the PostgreSQL store, each test on a database of its own.
import t from 'tap'
import { openPostgresStore } from '../../../src/store/postgres/postgres-candle-store.js'
import { postgresDatabase, postgresSkip } from '../../services/postgres.js'
import { storeContract } from './store-contract.js'

t.test('the PostgreSQL store keeps the store contract', { skip: postgresSkip() }, async (t) => {
  storeContract(t, async (t) => {
    const store = await openPostgresStore({ url: await postgresDatabase(t), poolSize: 4 })
    t.teardown(() => store.close())
    return store
  })
})
