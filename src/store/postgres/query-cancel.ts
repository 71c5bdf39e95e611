// Stops a PostgreSQL read whose caller has given up (its client left, its deadline passed), so an
// abandoned query does not keep a backend and a pool connection busy until it ends on its own.
import type pg from 'pg'
import { abortable } from '../../async/abortable.js'

/**
 * Runs `query` on `client` (checked out by the caller for the duration). When `signal` aborts
 * first the query never starts; when it aborts while the query runs, the backend is told to
 * cancel it (pg_cancel_backend from another connection). The client is only handed back after
 * the cancel request has been answered, so it can never cancel a later query on that connection.
 * Either way the promise rejects with the signal's reason.
 */
export async function cancellable<T> (pool: pg.Pool, client: pg.PoolClient, signal: AbortSignal, query: () => Promise<T>): Promise<T> {
  const pid = (client as unknown as { processID: number | null }).processID
  let running = true
  let cancelling: Promise<unknown> | undefined
  const cancel = (): void => {
    if (running && pid !== null) cancelling = pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => {})
  }
  try {
    return await abortable(signal, cancel, query)
  } finally {
    running = false
    if (cancelling !== undefined) await cancelling
  }
}
