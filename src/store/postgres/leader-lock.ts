// Election of the one ingest leader among processes sharing a PostgreSQL database: a session-level
// advisory lock held on a connection of its own. A standby tries for it every second; the process
// that gains it bumps the epoch at once and fences its store's writes with it. The leader checks its
// lock connection every second: when the check fails or times out, it stops writing at once (the
// fence refuses every later write) and goes back to being a standby. The server ends the session of
// a dead or cut-off leader within seconds (FAILOVER_SESSION), which frees the lock for a standby.
// A copy into the database takes the same lock with a single try (tryOnce) and writes under its
// own term, so ingest processes stand by while it runs and it never writes beside a leader.
import type pg from 'pg'
import { FAILOVER_SESSION, connectClient, type PostgresStoreOptions } from './connection.js'
import type { WriteFence } from './write-fence.js'

/** Key of the ingest leader's advisory lock (any constant no other lock of the database uses). */
export const LEADER_LOCK = 7_414_263_002

const TRY_LOCK_SQL = 'SELECT pg_try_advisory_lock($1)'
const BUMP_EPOCH_SQL = 'UPDATE ingest_leader SET epoch = epoch + 1, holder = $1, since = now() WHERE id = 1 RETURNING epoch'
const CHECK_SQL = 'SELECT epoch FROM ingest_leader WHERE id = 1'
const HOLDER_SQL = 'SELECT holder FROM ingest_leader WHERE id = 1'

/** pg takes query_timeout per query as well as per client; its types know only the latter. */
type TimedQuery = pg.QueryArrayConfig & { query_timeout: number }

async function timedQuery<T extends unknown[]> (client: pg.Client, text: string, values: unknown[], timeoutMs: number): Promise<T | undefined> {
  const query: TimedQuery = { text, values, rowMode: 'array', query_timeout: timeoutMs }
  const { rows } = await client.query<T>(query)
  return rows[0]
}

export interface LeaderLockOptions {
  /** Who holds the lock, as ingest_leader.holder and application_name show it (e.g. host:pid). */
  holder: string
  /** Period of a standby's attempts (default 1 s). */
  retryMs?: number
  /** Period of the leader's connection checks (default 1 s). */
  checkMs?: number
  /**
   * A check not answered within this long counts as a lost lock (default 3 s: long enough that a
   * busy event loop is not taken for a dead connection; writes are fenced by the epoch whatever it is).
   */
  checkTimeoutMs?: number
  /**
   * How long the epoch bump may wait for the old leader's last write transaction to end (the
   * server ends a cut-off one within seconds); default 8 s.
   */
  bumpTimeoutMs?: number
}

export interface LeaderEvents {
  /** This process now leads under `epoch`; its store's writes are allowed. */
  onLeader: (epoch: number) => void
  /** Leadership is lost (writes are already refused); the lock is tried for again. */
  onLost: (reason: Error) => void
}

export type LeaderState = { role: 'standby' } | { role: 'leader', epoch: number }

/** What a single try for the lock came to: a term, or the holder ingest_leader names (null before any). */
export type LockAttempt = { role: 'leader', epoch: number } | { role: 'standby', holder: string | null }

export class PostgresLeaderLock {
  private client?: pg.Client
  private timer?: NodeJS.Timeout
  private events?: LeaderEvents
  private closed = false
  /** Whether a lost term is tried for again (not after tryOnce). */
  private retries = true
  private current: LeaderState = { role: 'standby' }
  private readonly retryMs: number
  private readonly checkMs: number
  private readonly checkTimeoutMs: number

  constructor (private readonly store: PostgresStoreOptions, private readonly fence: WriteFence, private readonly opts: LeaderLockOptions) {
    this.retryMs = opts.retryMs ?? 1000
    this.checkMs = opts.checkMs ?? 1000
    this.checkTimeoutMs = opts.checkTimeoutMs ?? 3000
  }

  get state (): LeaderState {
    return this.current
  }

  /** Starts trying for the lock (at once, then every retryMs); `events` tell what came of it. */
  start (events: LeaderEvents): void {
    if (this.events !== undefined || this.closed) return
    this.events = events
    this.schedule(() => this.attempt(), 0)
  }

  /** The next step (an attempt or a check) after `ms`, replacing any step already planned. */
  private schedule (step: () => Promise<void>, ms: number): void {
    clearTimeout(this.timer)
    if (this.closed) return
    this.timer = setTimeout(() => { void step() }, ms)
  }

  private async connection (): Promise<pg.Client> {
    if (this.client !== undefined) return this.client
    const client = await connectClient({ ...this.store, applicationName: `tv-api leader ${this.opts.holder}`.slice(0, 63) }, FAILOVER_SESSION)
    // The server ending the session (or the link failing) ends the term at once, not at the next check.
    const gone = (err: Error) => { if (this.client === client) this.lose(err) }
    client.on('error', gone)
    client.on('end', () => { gone(new Error('the lock connection ended')) })
    if (this.closed) {
      await client.end().catch(() => {})
      throw new Error('leader lock closed')
    }
    this.client = client
    return client
  }

  /** Drops the lock connection without waiting: on a cut-off link its goodbye may never arrive. */
  private drop (): void {
    const client = this.client
    this.client = undefined
    void client?.end().catch(() => {})
  }

  /** One try for the lock, with the epoch bump when it is won (undefined while another session holds it). */
  private async acquire (): Promise<{ client: pg.Client, epoch?: number }> {
    const client = await this.connection()
    const [got] = await timedQuery<[boolean]>(client, TRY_LOCK_SQL, [LEADER_LOCK], this.checkTimeoutMs) ?? []
    if (got !== true) return { client }
    const [epoch] = await timedQuery<[number]>(client, BUMP_EPOCH_SQL, [this.opts.holder], this.opts.bumpTimeoutMs ?? 8000) ?? []
    if (epoch === undefined) throw new Error('ingest_leader has no row: the migrations did not run')
    return { client, epoch }
  }

  /** The term under `epoch` begins: writes allowed, the lock checked every checkMs. */
  private lead (epoch: number): void {
    this.fence.hold(epoch)
    this.current = { role: 'leader', epoch }
    this.events?.onLeader(epoch)
    this.schedule(() => this.check(), this.checkMs)
  }

  private async attempt (): Promise<void> {
    try {
      const { client, epoch } = await this.acquire()
      if (this.closed) return
      // Unless the session ended meanwhile (and the lock with it): then try again.
      if (epoch !== undefined && this.client === client) {
        this.lead(epoch)
        return
      }
    } catch {
      // Unreachable database, or the bump did not go through: the session (and any lock it holds)
      // is ended and the next attempt starts afresh.
      this.drop()
    }
    this.schedule(() => this.attempt(), this.retryMs)
  }

  /**
   * A single try, instead of start(), for a process that writes for a while and then ends (a
   * copy): resolves to the term it now leads under, or, while another session holds the lock, to
   * who that is as far as ingest_leader knows (the last holder to win it). A term once won is
   * checked as a leader's, but once lost it is not tried for again: `onLost` tells, and writes
   * stay refused. A database that cannot be reached rejects.
   */
  async tryOnce (onLost: (reason: Error) => void): Promise<LockAttempt> {
    if (this.events !== undefined || this.closed) throw new Error('the leader lock is in use already')
    this.retries = false
    this.events = { onLeader: () => {}, onLost }
    try {
      const { client, epoch } = await this.acquire()
      if (epoch === undefined) {
        const [holder] = await timedQuery<[string | null]>(client, HOLDER_SQL, [], this.checkTimeoutMs) ?? []
        return { role: 'standby', holder: holder ?? null }
      }
      if (this.closed || this.client !== client) throw new Error('the lock connection ended')
      this.lead(epoch)
      return { role: 'leader', epoch }
    } catch (err) {
      this.drop()
      throw err
    }
  }

  private async check (): Promise<void> {
    const client = this.client
    if (this.current.role !== 'leader' || client === undefined) return
    const epoch = this.current.epoch
    try {
      const [current] = await timedQuery<[number]>(client, CHECK_SQL, [], this.checkTimeoutMs) ?? []
      if (current !== epoch) throw new Error(`leader epoch ${epoch} was superseded by ${String(current)}`)
    } catch (err) {
      // Unless the term already ended meanwhile (the connection's error event, or close).
      if (this.client === client) this.lose(err as Error)
      return
    }
    this.schedule(() => this.check(), this.checkMs)
  }

  /** Ends the term: writes refused first of all, so none slips in under the old epoch. */
  private lose (reason: Error): void {
    if (this.closed || this.current.role !== 'leader') {
      // A standby's connection failed: the next attempt connects afresh.
      if (this.client !== undefined && !this.closed) this.drop()
      return
    }
    this.fence.revoke()
    this.current = { role: 'standby' }
    this.drop()
    this.events?.onLost(reason)
    if (this.retries) this.schedule(() => this.attempt(), this.retryMs)
  }

  /** Stops trying, refuses the store's writes from now on and ends the lock's session (freeing the lock). */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.timer)
    this.fence.revoke()
    this.current = { role: 'standby' }
    const client = this.client
    this.client = undefined
    if (client === undefined) return
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<void>((resolve) => { timer = setTimeout(resolve, 2000) })
    await Promise.race([client.end().catch(() => {}), late])
    clearTimeout(timer)
  }
}
