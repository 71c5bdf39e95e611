// Stops a DuckDB query whose caller has given up (its client left, its deadline passed), so an
// abandoned read does not keep a core and a reader connection busy until it ends on its own.
import type { DuckDBConnection } from '@duckdb/node-api'
import { abortable } from '../../async/abortable.js'

/**
 * How often the interrupt is repeated while the query is still running. DuckDB clears a
 * connection's interrupt flag when a statement starts executing, so an interrupt that lands
 * while the statement is still being bound or planned is lost: one call is not enough.
 */
const REPEAT_MS = 5

/**
 * Runs `query` (one statement on `con`, which the caller owns for the duration). When `signal`
 * aborts first the query never starts; when it aborts while the query runs, the connection is
 * interrupted until the query has ended. Either way the promise rejects with the signal's reason.
 */
export async function interruptible<T> (con: DuckDBConnection, signal: AbortSignal | undefined, query: () => Promise<T>): Promise<T> {
  if (signal === undefined) return await query()
  let repeat: NodeJS.Timeout | undefined
  const interrupt = (): void => {
    con.interrupt()
    repeat = setInterval(() => con.interrupt(), REPEAT_MS)
  }
  try {
    return await abortable(signal, interrupt, query)
  } finally {
    clearInterval(repeat)
  }
}
