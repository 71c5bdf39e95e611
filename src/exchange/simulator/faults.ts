// Fault injection for the simulator. Tests switch faults on through this object (or through the
// POST /sim/faults admin endpoint from another process); the REST handler and the stream hub
// consume them. Counters are global, not per connection, so "the next n events" means the next n
// the simulator sends anywhere, which is what a test that owns one client expects.

export type RestFailureStatus = 429 | 418 | 451 | 500 | 503

const REST_FAILURE_STATUSES: ReadonlySet<number> = new Set([429, 418, 451, 500, 503])

export interface RestFailureSpec {
  status: RestFailureStatus
  /** How many matching requests fail. */
  count: number
  /** Retry-After for 429/418; defaults to the rest of the weight minute (429) or 120 s (418). */
  retryAfterSec?: number
  /** Only requests to exactly this path (e.g. /api/v3/klines) match; default: every API path. */
  path?: string
}

/** A failure taken for one request. */
export interface RestFailure {
  status: RestFailureStatus
  retryAfterSec?: number
}

/** What faults need from the server to act immediately on open connections. */
export interface FaultHooks {
  dropStreams: (code?: number) => void
  shutdownNotice: () => void
}

type CounterName = 'malformed' | 'duplicates' | 'reorders' | 'omissions'

function assertCount (name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, got ${n}`)
}

export class Faults {
  private stalled = false
  private delayMs = 0
  private failures: Array<RestFailureSpec & { left: number }> = []
  private counters: Record<CounterName, number> = { malformed: 0, duplicates: 0, reorders: 0, omissions: 0 }

  constructor (private readonly hooks: FaultHooks) {}

  /** Closes every stream connection now: abruptly without a code, with a close frame with one. */
  dropStreams (code?: number): void {
    this.hooks.dropStreams(code)
  }

  /** While on, streams stay open but carry no events and no pings. */
  stall (on: boolean): void {
    this.stalled = on
  }

  get isStalled (): boolean {
    return this.stalled
  }

  /** The next `count` matching REST requests answer `status`; specs queue up in call order. */
  restFailures (spec: RestFailureSpec): void {
    if (!REST_FAILURE_STATUSES.has(spec.status)) throw new RangeError(`unsupported failure status ${String(spec.status)}`)
    assertCount('count', spec.count)
    if (spec.retryAfterSec !== undefined) assertCount('retryAfterSec', spec.retryAfterSec)
    if (spec.count > 0) this.failures.push({ ...spec, left: spec.count })
  }

  /** Delays every REST response by `ms` (0 turns it off). */
  restDelayMs (ms: number): void {
    assertCount('restDelayMs', ms)
    this.delayMs = ms
  }

  get restDelay (): number {
    return this.delayMs
  }

  /** The next n stream data messages are sent as invalid JSON. */
  malformedNext (n: number): void {
    assertCount('malformedNext', n)
    this.counters.malformed = n
  }

  /** The next n stream events are sent twice. */
  duplicateNext (n: number): void {
    assertCount('duplicateNext', n)
    this.counters.duplicates = n
  }

  /** The next n final events are each held back and sent after the following final. */
  reorderNext (n: number): void {
    assertCount('reorderNext', n)
    this.counters.reorders = n
  }

  /** The next n final (x:true) events are never sent. */
  omitFinals (n: number): void {
    assertCount('omitFinals', n)
    this.counters.omissions = n
  }

  /** Sends serverShutdown on every stream connection, then closes them. */
  shutdownNotice (): void {
    this.hooks.shutdownNotice()
  }

  reset (): void {
    this.stalled = false
    this.delayMs = 0
    this.failures = []
    this.counters = { malformed: 0, duplicates: 0, reorders: 0, omissions: 0 }
  }

  private take (name: CounterName): boolean {
    if (this.counters[name] === 0) return false
    this.counters[name]--
    return true
  }

  takeRestFailure (path: string): RestFailure | undefined {
    const spec = this.failures.find(f => f.path === undefined || f.path === path)
    if (spec === undefined) return undefined
    spec.left--
    if (spec.left === 0) this.failures = this.failures.filter(f => f !== spec)
    return spec.retryAfterSec === undefined ? { status: spec.status } : { status: spec.status, retryAfterSec: spec.retryAfterSec }
  }

  takeMalformed (): boolean {
    return this.take('malformed')
  }

  takeDuplicate (): boolean {
    return this.take('duplicates')
  }

  takeReorder (): boolean {
    return this.take('reorders')
  }

  takeOmitFinal (): boolean {
    return this.take('omissions')
  }

  /**
   * Applies a JSON command from the admin endpoint, e.g. `{"restFailures":{"status":503,"count":2}}`,
   * `{"stall":true}`, `{"dropStreams":true}` or `{"dropStreams":4000}`, `{"reset":true}`. Keys are
   * applied in order; throws TypeError/RangeError on anything it does not understand.
   */
  apply (command: unknown): void {
    if (typeof command !== 'object' || command === null || Array.isArray(command)) throw new TypeError('expected a JSON object')
    for (const [key, value] of Object.entries(command)) {
      switch (key) {
        case 'reset':
          if (value === true) this.reset()
          break
        case 'stall':
          this.stall(expectBoolean(key, value))
          break
        case 'restDelayMs':
          this.restDelayMs(expectNumber(key, value))
          break
        case 'malformedNext':
          this.malformedNext(expectNumber(key, value))
          break
        case 'duplicateNext':
          this.duplicateNext(expectNumber(key, value))
          break
        case 'reorderNext':
          this.reorderNext(expectNumber(key, value))
          break
        case 'omitFinals':
          this.omitFinals(expectNumber(key, value))
          break
        case 'restFailures':
          for (const spec of Array.isArray(value) ? value : [value]) this.restFailures(expectFailureSpec(spec))
          break
        case 'dropStreams':
          if (value === true) this.dropStreams()
          else if (typeof value === 'number') this.dropStreams(value)
          else if (value !== false) throw new TypeError('dropStreams must be true or a close code')
          break
        case 'shutdownNotice':
          if (value === true) this.shutdownNotice()
          break
        default:
          throw new TypeError(`unknown fault '${key}'`)
      }
    }
  }
}

function expectBoolean (key: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${key} must be a boolean`)
  return value
}

function expectNumber (key: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`${key} must be a number`)
  return value
}

function expectFailureSpec (value: unknown): RestFailureSpec {
  if (typeof value !== 'object' || value === null) throw new TypeError('restFailures must be an object')
  const v = value as Record<string, unknown>
  const status = expectNumber('restFailures.status', v.status)
  if (!REST_FAILURE_STATUSES.has(status)) throw new RangeError(`unsupported failure status ${status}`)
  const spec: RestFailureSpec = { status: status as RestFailureStatus, count: expectNumber('restFailures.count', v.count) }
  if (v.retryAfterSec !== undefined) spec.retryAfterSec = expectNumber('restFailures.retryAfterSec', v.retryAfterSec)
  if (v.path !== undefined) {
    if (typeof v.path !== 'string') throw new TypeError('restFailures.path must be a string')
    spec.path = v.path
  }
  return spec
}
