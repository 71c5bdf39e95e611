/**
 * Runs `query` on behalf of a caller that may give up. An already aborted `signal` rejects at
 * once; an abort while the query runs calls `stop` (which makes the engine end the query early)
 * and, once the query has settled, rejects with the signal's reason rather than the engine's
 * own cancellation error.
 */
export async function abortable<T> (signal: AbortSignal, stop: () => void, query: () => Promise<T>): Promise<T> {
  signal.throwIfAborted()
  signal.addEventListener('abort', stop, { once: true })
  try {
    return await query()
  } catch (err) {
    if (signal.aborted) throw signal.reason
    throw err
  } finally {
    signal.removeEventListener('abort', stop)
  }
}
