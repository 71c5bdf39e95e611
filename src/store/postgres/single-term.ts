// A short write of a process that takes no part in the ingest election (a service with LIVE off
// running retention): it takes the ingest leader lock with a single try, writes under that term,
// fenced like a leader's writes, and frees the lock at once. While another process holds the lock
// the write is not made: that process (an ingest leader, or a writing command) is the one writer.
import type { PostgresCandleStore } from './postgres-candle-store.js'

export type SingleTerm<T> = { ran: true, result: T } | { ran: false, holder: string | null }

/**
 * Runs `job` under a term of its own as `holder`, or not at all while another process holds the
 * lock. From the first call on, the store writes only under such terms.
 */
export async function underSingleTerm<T> (store: PostgresCandleStore, holder: string, job: () => Promise<T>): Promise<SingleTerm<T>> {
  const lock = await store.leaderLock({ holder })
  try {
    const attempt = await lock.tryOnce(() => {})
    if (attempt.role === 'standby') return { ran: false, holder: attempt.holder }
    return { ran: true, result: await job() }
  } finally {
    await lock.close()
  }
}
