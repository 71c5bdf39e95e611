// A copy into PostgreSQL writes as an ingest leader does: it takes the ingest leader lock for its
// whole run, with a single try, and the target's every write is fenced by the epoch it won. So a
// copy and an ingest leader never write the same database at once: a copy started while a leader
// writes is refused before it writes anything, ingest processes started meanwhile stand by until
// the copy releases the lock, and a copy whose lock is lost mid-way (its session cut off, the
// epoch taken over) has its next batch refused. A DuckDB target needs none of this: DuckDB lets
// one process at a time open the file.
import { hostname } from 'node:os'
import type { CandleStore } from '../store/candle-store.js'
import { PostgresCandleStore } from '../store/postgres/postgres-candle-store.js'
import { isFenced } from '../store/postgres/write-fence.js'
import { firstLine } from '../store-settings.js'
import { CliError, EXIT } from './command.js'

/** How a copy's holder shows in ingest_leader.holder, beside the ingest leaders' host:pid. */
const COPY_HOLDER = 'copy '

export interface CopyTargetLock {
  /** Why the lock was lost, when `err` (from a write) comes of losing it; undefined for any other error. */
  lostReason: (err: unknown) => string | undefined
  /** Ends the term and frees the lock for the ingest processes; the target's writes are refused from then on. */
  release: () => Promise<void>
}

function refusal (holder: string | null, shown: string): string {
  if (holder?.startsWith(COPY_HOLDER) === true) {
    return `copy refused: another copy (${holder.slice(COPY_HOLDER.length)}) is writing to ${shown}; let it finish, then run copy again`
  }
  const who = holder === null ? 'an ingest leader' : `an ingest leader (${holder})`
  return `copy refused: ${who} is writing to ${shown}; stop the ingest processes, or let them bring history with backfill, then run copy again`
}

/**
 * Takes the ingest leader lock of a PostgreSQL target (`shown`: its URL, password masked) for the
 * copy; resolves to undefined for any other store. Held by another process: a CliError (exit 4)
 * naming the holder, nothing written.
 */
export async function lockCopyTarget (target: CandleStore, shown: string, holder = `${COPY_HOLDER}${hostname()}:${process.pid}`): Promise<CopyTargetLock | undefined> {
  if (!(target instanceof PostgresCandleStore)) return undefined
  let lost: Error | undefined
  const lock = await target.leaderLock({ holder })
  let attempt
  try {
    attempt = await lock.tryOnce((reason) => { lost = reason })
  } catch (err) {
    await lock.close()
    throw new CliError(`cannot take the ingest leader lock of ${shown}: ${firstLine(err)}; check that PostgreSQL runs and is reachable from here, then run copy again`, EXIT.STORAGE)
  }
  if (attempt.role === 'standby') {
    await lock.close()
    throw new CliError(refusal(attempt.holder, shown), EXIT.STORAGE)
  }
  return {
    lostReason: (err) => {
      if (lost !== undefined) return firstLine(lost)
      // The epoch taken over before this process's lock check noticed: the fence says so.
      return isFenced(err) ? firstLine(err) : undefined
    },
    release: () => lock.close()
  }
}
