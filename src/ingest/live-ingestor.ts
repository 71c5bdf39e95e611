// Live ingestion of 1m candles: a complete copy of the exchange's closed candles, kept through
// restarts, stream drops and REST failures.
//
// - On start and after every (re)connect, each symbol catches up from its last stored candle (or
//   from now minus the lookback) to the exchange's current time, in pages of 1000; stored holes
//   inside the lookback window are repaired too. Closed klines that arrive meanwhile are held and
//   applied after the catch-up, in order.
// - While streaming, each closed kline is stored; if it is not the one after the last stored
//   candle, the hole is repaired from REST first. Partials are published, never stored.
// - "Now" is always the exchange's time (server time, kline times), never the local clock.
import { candleDefect, type Candle } from '../domain/candle.js'
import { MINUTE_MS, bucketStart } from '../domain/intervals.js'
import {
  ExchangeFatalError, type Exchange, type KlineEvent, type KlineStream, type SymbolMeta
} from '../exchange/exchange.js'
import type { LiveBus } from '../live/live-bus.js'
import type { Log } from '../log.js'
import type { LiveSymbol } from '../query/market-data.js'
import type { CandleStore, TimeRange } from '../store/candle-store.js'
import { BatchWriter } from './batch-writer.js'
import { ExchangeReach } from './exchange-reach.js'
import { CatchUpTail } from './catch-up-tail.js'
import type { HealthIssue, IngestGauges, IngestStatus, LiveHealth } from './ingest-status.js'

const PAGE = 1000

export interface LiveIngestorOptions {
  exchange: Exchange
  store: CandleStore
  bus: LiveBus
  symbols: readonly string[]
  /** History fetched for a symbol with nothing stored, and the window scanned for holes. */
  lookbackMs: number
  log: Log
  /** A symbol without messages for this long is stale (default 3 intervals). */
  staleAfterMs?: number
  /** The stream down for longer than this makes /healthz fail (default 2 minutes). */
  downAlertMs?: number
  /** Back-off between failed catch-up rounds. */
  retryMinMs?: number
  retryMaxMs?: number
  /** Repeat period of the "cannot reach the exchange" warning (default 1 minute). */
  unreachableLogMs?: number
  /**
   * Of the candles a catch-up or hole repair stores for a symbol, only the newest this many are
   * published (as finals, oldest first); the rest are left to REST. Default 600 (HTTP_DEFAULT_LIMIT's default).
   */
  publishLimit?: number
}

interface SymbolState {
  symbol: string
  meta?: SymbolMeta
  /** Open time of the newest stored closed candle. */
  lastClosed?: number
  lastMessageAt?: number
  /** While true, closed klines are held in `held` until the catch-up ends. */
  syncing: boolean
  held: Map<number, Candle>
  /**
   * The newest forming kline not yet published. Partials follow the symbol's closed candles in
   * order (a partial must not overtake the final of the minute before it), keeping only the newest.
   */
  partial?: Candle
  /** Identifies the queued job that will publish `partial`; a closed kline queued later voids it. */
  partialJob?: object
  /** Ranges whose repair failed; retried with the next catch-up. */
  holes: TimeRange[]
  /** Serialises the handling of this symbol's closed candles. */
  chain: Promise<void>
}

export class LiveIngestor implements IngestStatus {
  private readonly states = new Map<string, SymbolState>()
  private readonly writer: BatchWriter
  private readonly log: Log
  private stream?: KlineStream
  private readonly startedAt = Date.now()
  private lastMessageAt?: number
  private downSince: number = Date.now()
  private catchUpRunning?: Promise<void>
  private catchUpAgain = false
  private retryTimer?: NodeJS.Timeout
  private retryFailures = 0
  private stopped = false
  private fatal?: string
  private readonly reach: ExchangeReach
  private unwatchReach?: () => void
  private readonly counters = {
    rest_catchup_candles_total: 0,
    live_candles_total: 0,
    gap_repairs_total: 0,
    rejected_candles_total: 0,
    bad_messages_total: 0
  }

  constructor (private readonly opts: LiveIngestorOptions) {
    this.writer = new BatchWriter(opts.store)
    this.log = opts.log
    this.reach = new ExchangeReach({ log: opts.log, repeatMs: opts.unreachableLogMs })
    for (const symbol of opts.symbols) {
      this.states.set(symbol, {
        symbol,
        lastClosed: opts.store.storedRange(symbol, '1m')?.last,
        syncing: false,
        held: new Map(),
        holes: [],
        chain: Promise.resolve()
      })
    }
  }

  private get staleAfterMs (): number {
    return this.opts.staleAfterMs ?? 3 * MINUTE_MS
  }

  private startup?: Promise<void>

  /**
   * Starts in the background: checks the symbols with the exchange, then opens the stream, whose
   * every (re)connect triggers a catch-up. The API serves meanwhile, even if the exchange is down.
   */
  start (): void {
    this.unwatchReach ??= this.opts.exchange.watchReach?.(this.reach)
    this.startup ??= this.boot().catch((err: unknown) => {
      this.log.error({ err }, 'live ingestion failed to start')
    })
  }

  private async boot (): Promise<void> {
    await this.loadSymbolMeta()
    if (this.stopped || this.fatal !== undefined) return
    const streams = [...this.states.values()].map((s) => ({ symbol: s.symbol, interval: '1m' as const }))
    if (streams.length === 0) {
      this.log.error('no live symbol is known to the exchange; live ingestion is idle')
      return
    }
    this.stream = this.opts.exchange.klineStream(streams, {
      onOpen: () => {
        this.downSince = Number.POSITIVE_INFINITY
        this.scheduleCatchUp()
      },
      onClose: (info) => {
        if (this.downSince === Number.POSITIVE_INFINITY) this.downSince = Date.now()
        this.log.warn({ host: info.host, reason: info.reason, reconnectInMs: info.reconnectInMs }, `exchange stream to ${info.host} closed (${info.reason}); reconnecting`)
      },
      onKline: (event) => this.onKline(event),
      onBadMessage: (reason) => {
        this.counters.bad_messages_total++
        this.log.warn({ reason }, 'ignored a malformed stream message')
      }
    })
  }

  private async loadSymbolMeta (): Promise<void> {
    const wanted = [...this.states.keys()]
    let metas: SymbolMeta[] | undefined
    try {
      metas = await this.opts.exchange.exchangeInfo(wanted)
    } catch (err) {
      if (err instanceof ExchangeFatalError && err.status === 451) return this.fail(err)
      if (!(err instanceof ExchangeFatalError)) {
        this.log.warn({ err }, 'exchange info unavailable; streaming the configured symbols unchecked')
        return
      }
      // One unknown symbol fails the whole request; ask one by one to find it.
      metas = []
      for (const symbol of wanted) {
        try {
          metas.push(...await this.opts.exchange.exchangeInfo([symbol]))
        } catch (e) {
          if (!(e instanceof ExchangeFatalError)) throw e
        }
      }
    }
    const known = new Map(metas.map((m) => [m.symbol, m]))
    for (const symbol of wanted) {
      const meta = known.get(symbol)
      if (meta === undefined) {
        this.log.error({ symbol }, 'symbol is not listed on the exchange; it will not be ingested')
        this.states.delete(symbol)
        this.unknownSymbols.push(symbol)
      } else {
        this.states.get(symbol)!.meta = meta
      }
    }
  }

  private readonly unknownSymbols: string[] = []

  private fail (err: Error): void {
    this.fatal = err.message
    this.log.fatal({ err }, 'live ingestion stopped: the exchange refuses this service')
    void this.stream?.stop()
  }

  private onKline (event: KlineEvent): void {
    if (this.stopped) return
    const now = Date.now()
    this.lastMessageAt = now
    const c = event.candle
    const state = this.states.get(c.symbol)
    if (state === undefined || c.interval !== '1m') return
    state.lastMessageAt = now
    const defect = candleDefect(c)
    if (defect !== undefined) {
      this.counters.rejected_candles_total++
      this.log.warn({ symbol: c.symbol, ts: c.ts, defect }, 'rejected an invalid kline from the stream')
      return
    }
    if (!event.closed) {
      state.partial = c
      if (!state.syncing) this.queuePartial(state)
      return
    }
    // A partial queued before this close must not be published ahead of it: void its job, drop
    // the partial if this close supersedes it, and queue a newer one again behind the close.
    state.partialJob = undefined
    if (state.partial !== undefined && state.partial.ts <= c.ts) state.partial = undefined
    if (state.syncing) {
      state.held.set(c.ts, c)
      return
    }
    this.enqueue(state, () => this.applyClosed(state, c))
    if (state.partial !== undefined) this.queuePartial(state)
  }

  /** Publishes the newest partial once the closed candles queued before it are out. */
  private queuePartial (state: SymbolState): void {
    if (state.partialJob !== undefined) return
    const job = {}
    state.partialJob = job
    this.enqueue(state, async () => {
      if (state.partialJob !== job) return
      state.partialJob = undefined
      const p = state.partial
      state.partial = undefined
      // A partial of a bar already closed here is late news; drop it.
      if (p !== undefined && (state.lastClosed === undefined || p.ts > state.lastClosed)) {
        this.opts.bus.publish({ type: 'candle', candle: p, final: false })
      }
    })
  }

  private enqueue (state: SymbolState, job: () => Promise<void>): void {
    state.chain = state.chain.then(job).catch((err: unknown) => {
      this.log.error({ symbol: state.symbol, err }, 'failed to store live candles')
    })
  }

  /** Stores one closed kline, repairing the hole before it when it is not the next minute. */
  private async applyClosed (state: SymbolState, c: Candle): Promise<void> {
    if (state.lastClosed !== undefined && c.ts > state.lastClosed + MINUTE_MS) {
      const hole = { first: state.lastClosed + MINUTE_MS, last: c.ts - MINUTE_MS }
      this.counters.gap_repairs_total++
      this.log.info({ symbol: state.symbol, from: hole.first, to: hole.last }, 'closed kline skipped minutes; repairing the hole from REST')
      const tail = this.newTail()
      try {
        await this.fetchRange(state, hole.first, hole.last, c.ts + MINUTE_MS, tail)
      } catch (err) {
        if (err instanceof ExchangeFatalError && err.status === 451) this.fail(err)
        state.holes.push(hole)
        this.log.warn({ symbol: state.symbol, err }, 'hole repair failed; retrying with the next catch-up')
        this.scheduleRetry()
      } finally {
        this.publishTail(tail)
      }
    }
    await this.writer.write([c])
    const isNew = state.lastClosed === undefined || c.ts > state.lastClosed
    if (isNew) {
      state.lastClosed = c.ts
      this.counters.live_candles_total++
      this.opts.bus.publish({ type: 'candle', candle: c, final: true })
    }
  }

  private newTail (): CatchUpTail {
    return new CatchUpTail(this.opts.publishLimit ?? 600)
  }

  /** Publishes the newest candles a catch-up stored, as finals, oldest first. */
  private publishTail (tail: CatchUpTail): void {
    for (const candle of tail.take()) this.opts.bus.publish({ type: 'candle', candle, final: true })
  }

  /**
   * Pages closed 1m candles with open time in [from, to] into the store, adding each to `tail`
   * (what of them gets published). `serverTime` decides which bars are closed (close time before
   * it). Returns candles stored.
   */
  private async fetchRange (state: SymbolState, from: number, to: number, serverTime: number, tail: CatchUpTail): Promise<number> {
    let stored = 0
    let start = from
    while (start <= to && !this.stopped) {
      const page = await this.opts.exchange.klines({ symbol: state.symbol, interval: '1m', startTime: start, endTime: to, limit: PAGE })
      const good: Candle[] = []
      for (const k of page) {
        if (k.closeTime >= serverTime) continue
        const defect = candleDefect(k.candle)
        if (defect !== undefined) {
          this.counters.rejected_candles_total++
          this.log.warn({ symbol: state.symbol, ts: k.candle.ts, defect }, 'rejected an invalid kline from REST')
          continue
        }
        good.push(k.candle)
      }
      if (good.length > 0) {
        await this.writer.write(good)
        stored += good.length
        this.counters.rest_catchup_candles_total += good.length
        for (const c of good) if (state.lastClosed === undefined || c.ts > state.lastClosed) state.lastClosed = c.ts
        tail.add(good)
      }
      if (page.length < PAGE) break
      start = page[page.length - 1]!.candle.ts + MINUTE_MS
    }
    return stored
  }

  private scheduleCatchUp (): void {
    if (this.stopped || this.fatal !== undefined) return
    if (this.catchUpRunning !== undefined) {
      this.catchUpAgain = true
      return
    }
    clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    this.catchUpRunning = this.catchUpLoop().finally(() => { this.catchUpRunning = undefined })
  }

  private scheduleRetry (): void {
    if (this.stopped || this.fatal !== undefined || this.retryTimer !== undefined) return
    this.retryFailures++
    const cap = Math.min(this.opts.retryMaxMs ?? 30_000, (this.opts.retryMinMs ?? 1000) * 2 ** (this.retryFailures - 1))
    const delay = cap / 2 + Math.random() * cap / 2
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.scheduleCatchUp()
    }, delay)
    this.retryTimer.unref()
  }

  private async catchUpLoop (): Promise<void> {
    do {
      this.catchUpAgain = false
      const states = [...this.states.values()]
      for (const s of states) s.syncing = true
      // Let closed candles already queued land first, so lastClosed is current.
      await Promise.all(states.map((s) => s.chain))
      let failed = false
      const filled: string[] = []
      try {
        const serverTime = await this.opts.exchange.serverTime()
        for (const s of states) {
          if (this.stopped) break
          if (await this.catchUpSymbol(s, serverTime) > 0) filled.push(s.symbol)
          this.release(s)
        }
        this.retryFailures = 0
      } catch (err) {
        failed = true
        if (err instanceof ExchangeFatalError && err.status === 451) this.fail(err)
        else if (!this.stopped) this.log.warn({ err }, 'catch-up failed; retrying')
      }
      for (const s of states) this.release(s)
      if (filled.length > 0 || !failed) this.opts.bus.publish({ type: 'resync_done', interval: '1m', symbols: filled })
      if (failed) {
        this.scheduleRetry()
        return
      }
    } while (this.catchUpAgain && !this.stopped)
  }

  /** Ends a symbol's catch-up: held closed klines are applied in order, as if just received. */
  private release (s: SymbolState): void {
    if (!s.syncing) return
    s.syncing = false
    const held = [...s.held.values()].sort((a, b) => a.ts - b.ts)
    s.held.clear()
    for (const c of held) this.enqueue(s, () => this.applyClosed(s, c))
    if (s.partial !== undefined) this.queuePartial(s)
  }

  private async catchUpSymbol (s: SymbolState, serverTime: number): Promise<number> {
    const nowOpen = bucketStart('1m', serverTime)
    const windowStart = bucketStart('1m', serverTime - this.opts.lookbackMs)
    let stored = 0
    const tail = this.newTail()
    try {
      // Holes left by failed repairs, and any hole inside the lookback window (e.g. from a crash).
      const holes = s.holes.splice(0)
      if (s.lastClosed !== undefined && s.lastClosed > windowStart) {
        holes.push(...await this.opts.store.findGaps(s.symbol, '1m', windowStart, s.lastClosed))
      }
      for (const h of mergeRanges(holes)) {
        stored += await this.fetchRange(s, h.first, Math.min(h.last, nowOpen - MINUTE_MS), serverTime, tail)
      }
      const from = s.lastClosed !== undefined ? s.lastClosed + MINUTE_MS : windowStart
      if (from < nowOpen) stored += await this.fetchRange(s, from, nowOpen - MINUTE_MS, serverTime, tail)
    } finally {
      // Whatever was stored before a failure is published too, before the held live closes.
      this.publishTail(tail)
    }
    if (stored > 0) this.log.info({ symbol: s.symbol, candles: stored, lastClosed: s.lastClosed }, 'caught up from REST')
    return stored
  }

  /** Resolves once no catch-up runs and every received closed candle is stored. */
  async idle (): Promise<void> {
    await this.startup
    for (;;) {
      await this.catchUpRunning
      await Promise.all([...this.states.values()].map((s) => s.chain))
      await this.writer.drain()
      if (this.catchUpRunning === undefined) return
    }
  }

  /** Stops the stream and stores every closed candle already received. */
  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.retryTimer)
    this.unwatchReach?.()
    await this.startup
    await this.stream?.stop()
    await this.catchUpRunning
    // Closed klines held during an interrupted catch-up are still real candles: keep them.
    for (const s of this.states.values()) {
      const held = [...s.held.values()]
      s.held.clear()
      if (held.length > 0) {
        await this.writer.write(held).catch((err: unknown) => {
          this.log.warn({ symbol: s.symbol, candles: held.length, err }, 'could not store the closed candles held at stop; the next catch-up fetches them again')
        })
      }
    }
    await Promise.allSettled([...this.states.values()].map((s) => s.chain))
    await this.writer.drain()
  }

  liveSymbols (): LiveSymbol[] {
    const open = this.stream?.state === 'open'
    return [...this.states.values()].map((s) => ({
      symbol: s.symbol,
      active: open && this.fatal === undefined,
      ...(s.meta !== undefined ? { base: s.meta.base, quote: s.meta.quote } : {}),
      ...(s.meta?.tickSize !== undefined ? { tickSize: s.meta.tickSize } : {}),
      ...(s.meta?.stepSize !== undefined ? { stepSize: s.meta.stepSize } : {})
    }))
  }

  health (): { live: LiveHealth, issues: HealthIssue[], notices: HealthIssue[] } {
    const now = Date.now()
    const issues: HealthIssue[] = []
    if (this.fatal !== undefined) issues.push({ issue: 'exchange_refused', message: this.fatal })
    for (const symbol of this.unknownSymbols) issues.push({ issue: 'unknown_symbol', symbol })
    const symbols: LiveHealth['symbols'] = {}
    for (const s of this.states.values()) {
      const age = s.lastMessageAt === undefined ? null : now - s.lastMessageAt
      symbols[s.symbol] = { last_closed_ts: s.lastClosed ?? null, last_msg_age_ms: age }
      const silentFor = now - (s.lastMessageAt ?? this.startedAt)
      if (silentFor > this.staleAfterMs) {
        issues.push({ issue: 'stale_last_message', symbol: s.symbol, last_msg_age_ms: silentFor, interval_ms: MINUTE_MS })
      }
    }
    const downFor = now - this.downSince
    if (this.fatal === undefined && downFor > (this.opts.downAlertMs ?? 120_000)) {
      issues.push({ issue: 'ws_down', duration_seconds: Math.round(downFor / 1000) })
    }
    return {
      live: {
        enabled: true,
        ws_state: this.stream?.state === 'open' ? 1 : 0,
        last_msg_age_ms: this.lastMessageAt === undefined ? null : now - this.lastMessageAt,
        symbols
      },
      issues,
      notices: this.reach.issues()
    }
  }

  gauges (): IngestGauges {
    return {
      ws_state: this.stream?.state === 'open' ? 1 : 0,
      last_msg_age_ms: this.lastMessageAt === undefined ? null : Date.now() - this.lastMessageAt,
      reconnect_attempts_total: this.stream?.reconnectAttempts ?? 0,
      rest_catchup_candles_total: this.counters.rest_catchup_candles_total,
      live_candles_total: this.counters.live_candles_total,
      gap_repairs_total: this.counters.gap_repairs_total,
      rejected_candles_total: this.counters.rejected_candles_total
    }
  }

  get badMessages (): number {
    return this.counters.bad_messages_total
  }
}

function mergeRanges (ranges: TimeRange[]): TimeRange[] {
  const sorted = [...ranges].sort((a, b) => a.first - b.first)
  const out: TimeRange[] = []
  for (const r of sorted) {
    const last = out[out.length - 1]
    if (last !== undefined && r.first <= last.last + MINUTE_MS) last.last = Math.max(last.last, r.last)
    else out.push({ ...r })
  }
  return out
}
