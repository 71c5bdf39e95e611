// Tells the user, early and without flooding the log, that the exchange cannot be reached: which
// host, which error, that the API still serves what is stored, and how to try the service offline.
// It also feeds /healthz a `never_connected` detail while a host has failed and never answered.
import type { ReachListener } from '../exchange/exchange.js'
import type { Log } from '../log.js'
import type { HealthIssue } from './ingest-status.js'

export interface ExchangeReachOptions {
  log: Log
  /** While a host stays unreachable, the reminder is repeated at most this often (default 1 minute). */
  repeatMs?: number
  now?: () => number
}

interface HostState {
  /** The host answered at least once since the service started. */
  everReached: boolean
  /** Failed attempts since it last answered; 0 while it answers. */
  failures: number
  failingSince?: number
  lastError?: string
  lastLoggedAt?: number
}

const OFFLINE_HINT = 'the API keeps serving the candles already stored, and ingestion retries by itself. ' +
  'No network? Try the service offline with `npm run demo` (or the setting --exchange simulator)'

export class ExchangeReach implements ReachListener {
  private readonly hosts = new Map<string, HostState>()
  private readonly repeatMs: number
  private readonly now: () => number

  constructor (private readonly opts: ExchangeReachOptions) {
    this.repeatMs = opts.repeatMs ?? 60_000
    this.now = opts.now ?? Date.now
  }

  private state (host: string): HostState {
    let s = this.hosts.get(host)
    if (s === undefined) {
      s = { everReached: false, failures: 0 }
      this.hosts.set(host, s)
    }
    return s
  }

  unreachable (host: string, reason: string): void {
    const s = this.state(host)
    const now = this.now()
    s.failures++
    s.failingSince ??= now
    s.lastError = reason
    if (s.lastLoggedAt !== undefined && now - s.lastLoggedAt < this.repeatMs) return
    const first = s.lastLoggedAt === undefined
    s.lastLoggedAt = now
    const fields = { host, error: reason, failedAttempts: s.failures, failingForSec: Math.round((now - s.failingSince) / 1000) }
    if (first) {
      this.opts.log.warn(fields, `cannot reach the exchange at ${host} (${reason}); ${OFFLINE_HINT}`)
    } else {
      this.opts.log.warn(fields, `still cannot reach the exchange at ${host} (${reason}) after ${s.failures} failed attempts over ${fields.failingForSec} s; ${OFFLINE_HINT}`)
    }
  }

  reached (host: string): void {
    const s = this.state(host)
    if (s.failures > 0) {
      this.opts.log.info({ host, failedAttempts: s.failures }, `reached the exchange at ${host} after ${s.failures} failed attempts`)
    }
    s.everReached = true
    s.failures = 0
    s.failingSince = undefined
    s.lastLoggedAt = undefined
  }

  /** One `never_connected` detail per host that failed and has never answered. */
  issues (): HealthIssue[] {
    const out: HealthIssue[] = []
    for (const [host, s] of this.hosts) {
      if (s.everReached || s.failures === 0) continue
      out.push({
        issue: 'never_connected',
        host,
        last_error: s.lastError,
        failed_attempts: s.failures,
        duration_seconds: Math.round((this.now() - s.failingSince!) / 1000)
      })
    }
    return out
  }
}
