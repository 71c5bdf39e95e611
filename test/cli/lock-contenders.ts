// What the tests of CLI writers under the ingest leader lock share: an ingest process's part in
// the election, on quick lock timings, and a plain connection to look into the database.
import pg from 'pg'
import type { LeaderLockOptions } from '../../src/store/postgres/leader-lock.js'
import { openPostgresStore } from '../../src/store/postgres/postgres-candle-store.js'
import type { Teardown } from '../helpers.js'

const FAST: Partial<LeaderLockOptions> = { retryMs: 50, checkMs: 50, checkTimeoutMs: 5000 }

/** An ingest process's part in the election, as the ingest plugin takes it. */
export async function contender (t: Teardown, url: string, holder: string) {
  const store = await openPostgresStore({ url, poolSize: 2 })
  const lock = await store.leaderLock({ holder, ...FAST })
  const led: number[] = []
  t.teardown(async () => {
    await lock.close()
    await store.close()
  })
  lock.start({ onLeader: (epoch) => led.push(epoch), onLost: () => {} })
  return { store, lock, led }
}

export async function sql (t: Teardown, url: string) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  t.teardown(() => client.end())
  return async (text: string, values: unknown[] = []) => (await client.query({ text, values, rowMode: 'array' })).rows
}
