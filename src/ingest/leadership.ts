// Live ingestion behind a leader election: of the ingest processes sharing one store, only the
// leader runs an ingestor. This process waits as a standby until the lock is its own, then starts
// a fresh ingestor (whose catch-up fills whatever the previous leader left missing); when the lock
// is lost it stops that ingestor and waits again, the process staying up. The store's fence
// already refuses the writes of a lost term, so stopping late never lets a write through.
import { SerialQueue } from '../async/serial-queue.js'
import type { Log } from '../log.js'
import { LIVE_OFF, type HealthIssue, type IngestGauges, type IngestStatus, type Leadership, type LiveHealth } from './ingest-status.js'
import type { LiveSymbol } from './live-symbols.js'

/** What the election of the store (e.g. PostgresLeaderLock) offers. */
export interface LeaderElection {
  start: (events: { onLeader: (epoch: number) => void, onLost: (reason: Error) => void }) => void
  close: () => Promise<void>
}

/** The part of a LiveIngestor this drives. */
export interface Ingestor extends IngestStatus {
  start: () => void
  stop: () => Promise<void>
  idle: () => Promise<void>
}

export interface LeaderIngestOptions {
  election: LeaderElection
  /** A new ingestor for each term (one that stopped is not started again). */
  createIngestor: () => Ingestor
  /** Runs before each term's ingestor starts, e.g. to reload the store's index of what the previous leader wrote. */
  beforeLeading?: () => Promise<void>
  log: Log
}

export class LeaderIngest implements IngestStatus {
  private ingestor?: Ingestor
  private epoch: number | null = null
  private stopped = false
  /** Start and stop of terms, one after the other. */
  private readonly turns = new SerialQueue()

  constructor (private readonly opts: LeaderIngestOptions) {}

  get leadership (): Leadership {
    return { role: this.epoch === null ? 'standby' : 'leader', epoch: this.epoch }
  }

  private turn (step: () => Promise<void>): void {
    this.turns.run(step).catch((err: unknown) => {
      this.opts.log.error({ err }, 'ingest leadership change failed')
    })
  }

  /** Takes part in the election; ingests while this process leads. */
  start (): void {
    this.opts.election.start({
      onLeader: (epoch) => {
        this.epoch = epoch
        this.opts.log.info({ epoch }, 'this process is the ingest leader')
        this.turn(() => this.lead(epoch))
      },
      onLost: (reason) => {
        const epoch = this.epoch
        this.epoch = null
        this.opts.log.warn({ epoch, err: reason }, 'ingest leadership lost; writes stopped, standing by')
        this.turn(() => this.standDown())
      }
    })
    this.opts.log.info('ingest standby: waiting for the leader lock')
  }

  private async lead (epoch: number): Promise<void> {
    try {
      await this.opts.beforeLeading?.()
    } catch (err) {
      // Ingesting from an older view of the store only makes the catch-up fetch more again.
      this.opts.log.warn({ err }, 'could not prepare for leading; ingesting anyway')
    }
    // The term may have ended (or the process begun stopping) while the index reloaded.
    if (this.stopped || this.epoch !== epoch) return
    const ingestor = this.opts.createIngestor()
    this.ingestor = ingestor
    ingestor.start()
  }

  private async standDown (): Promise<void> {
    const ingestor = this.ingestor
    this.ingestor = undefined
    await ingestor?.stop()
  }

  /** Resolves once no term is changing and the current ingestor (if any) is idle. */
  async idle (): Promise<void> {
    await this.turns.idle()
    await this.ingestor?.idle()
  }

  /** Stops the ingestor (storing what it received), then leaves the election, freeing the lock. */
  async stop (): Promise<void> {
    this.stopped = true
    this.turn(() => this.standDown())
    await this.turns.idle()
    await this.opts.election.close()
    this.epoch = null
  }

  liveSymbols (): readonly LiveSymbol[] {
    return this.ingestor?.liveSymbols() ?? []
  }

  health (): { live: LiveHealth, issues: HealthIssue[], notices?: HealthIssue[] } {
    const leadership = this.leadership
    if (this.ingestor === undefined) {
      // A standby has nothing to be stale about: the leader's health is the leader's.
      return { live: { enabled: true, ws_state: 0, last_msg_age_ms: null, symbols: {}, leadership }, issues: [] }
    }
    const report = this.ingestor.health()
    return { ...report, live: { ...report.live, leadership } }
  }

  gauges (): IngestGauges {
    return { ...(this.ingestor?.gauges() ?? LIVE_OFF.gauges()), leader: this.epoch === null ? 0 : 1, leader_epoch: this.epoch }
  }
}
