// Every command that writes a PostgreSQL store (copy, backfill, import, seed) writes as an ingest
// leader does: it takes the ingest leader lock for its whole run, with a single try, and the
// store's every write is fenced by the epoch it won. So such a command and an ingest leader (or two
// such commands) never write the same database at once: one started while another process writes
// is refused before it writes anything, ingest processes started meanwhile stand by until the
// command releases the lock, and a command whose lock is lost mid-way (its session cut off, the
// epoch taken over) has its next write refused. A DuckDB store needs none of this: DuckDB lets one
// process at a time open the file.
import { hostname } from 'node:os'
import type { CandleStore } from '../store/candle-store.js'
import { PostgresCandleStore } from '../store/postgres/postgres-candle-store.js'
import { isFenced } from '../store/postgres/write-fence.js'
import { firstLine } from '../store-settings.js'
import { CliError, EXIT } from './command.js'

/** The commands that write a store, as their holder shows in ingest_leader.holder ("backfill host:pid"). */
export const WRITER_COMMANDS = ['copy', 'backfill', 'import', 'seed'] as const
export type WriterCommand = typeof WRITER_COMMANDS[number]

/** How a service that ingests nothing shows while its retention deletes (plugins/app/maintenance.ts). */
const RETENTION_HOLDER = 'retention '

/** The holder a command writes as, beside the ingest leaders' bare host:pid. */
export function writerHolder (command: WriterCommand): string {
  return `${command} ${hostname()}:${process.pid}`
}

export interface StoreWriterLock {
  /** Why the lock was lost, when `err` (from a write) comes of losing it; undefined for any other error. */
  lostReason: (err: unknown) => string | undefined
  /** Candle rows this process committed since it took the lock. */
  written: () => number
  /** Ends the term and frees the lock for the ingest processes; the store's writes are refused from then on. */
  release: () => Promise<void>
}

/** What to do about an ingest leader holding the lock: copy suggests leaving history to the ingest processes. */
function ingestAdvice (command: WriterCommand): string {
  return command === 'copy'
    ? 'stop the ingest processes, or let them bring history with backfill'
    : 'stop the ingest processes (they catch up on their own when they come back)'
}

function refusal (command: WriterCommand, holder: string | null, shown: string): string {
  const writer = holder === null ? undefined : WRITER_COMMANDS.find((c) => holder.startsWith(`${c} `))
  if (writer !== undefined) {
    return `${command} refused: another ${writer} (${holder!.slice(writer.length + 1)}) is writing to ${shown}; let it finish, then run ${command} again`
  }
  if (holder?.startsWith(RETENTION_HOLDER) === true) {
    return `${command} refused: a service's retention run (${holder.slice(RETENTION_HOLDER.length)}) is deleting from ${shown}; let it finish, then run ${command} again`
  }
  const who = holder === null ? 'an ingest leader' : `an ingest leader (${holder})`
  return `${command} refused: ${who} is writing to ${shown}; ${ingestAdvice(command)}, then run ${command} again`
}

/**
 * Takes the ingest leader lock of a PostgreSQL store (`shown`: its URL, password masked) for
 * `command`; resolves to undefined for any other store. Held by another process: a CliError
 * (exit 4) naming the holder, nothing written.
 */
export async function lockStoreWriter (command: WriterCommand, store: CandleStore, shown: string, holder = writerHolder(command)): Promise<StoreWriterLock | undefined> {
  if (!(store instanceof PostgresCandleStore)) return undefined
  let lost: Error | undefined
  const lock = await store.leaderLock({ holder })
  let attempt
  try {
    attempt = await lock.tryOnce((reason) => { lost = reason })
  } catch (err) {
    await lock.close()
    throw new CliError(`cannot take the ingest leader lock of ${shown}: ${firstLine(err)}; check that PostgreSQL runs and is reachable from here, then run ${command} again`, EXIT.STORAGE)
  }
  if (attempt.role === 'standby') {
    await lock.close()
    throw new CliError(refusal(command, attempt.holder, shown), EXIT.STORAGE)
  }
  let rows = 0
  const unlisten = store.onWrite((_symbols, info) => { if (info.remote !== true) rows += info.rows })
  return {
    lostReason: (err) => {
      if (lost !== undefined) return firstLine(lost)
      // The epoch taken over before this process's lock check noticed: the fence says so.
      return isFenced(err) ? firstLine(err) : undefined
    },
    written: () => rows,
    release: async () => {
      unlisten()
      await lock.close()
    }
  }
}

/** The lock of copy's target (its messages name copy). */
export async function lockCopyTarget (target: CandleStore, shown: string): Promise<StoreWriterLock | undefined> {
  return await lockStoreWriter('copy', target, shown)
}

/**
 * The one line of a command that stopped because its lock was lost (`reason` from lostReason):
 * `done` says how much was stored, `rerun` how running it again goes on.
 */
export function lockLost (command: WriterCommand, shown: string, reason: string, done: string, rerun: string): CliError {
  return new CliError(`${command} stopped: the ingest leader lock of ${shown} was lost (${reason}), so the ${command} writes no more; ${done}; ${rerun}`, EXIT.STORAGE)
}
