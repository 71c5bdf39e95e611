// Live ingestion of 1m candles: a complete copy of the exchange's closed candles, kept through
// restarts, stream drops and REST failures. This class wires the parts together:
//
// - On start and after every (re)connect, a catch-up round (catch-up-rounds.ts) brings each symbol
//   up to the exchange's current time from REST, repairing stored holes inside the lookback window
//   (rest-catch-up.ts). Closed klines that arrive meanwhile are held and applied after it, in order
//   (symbol-lane.ts).
// - While streaming (stream-handlers.ts), each closed kline is stored; if it is not the one after
//   the last stored candle, the hole is repaired from REST first. Partials are published, never stored.
// - "Now" is always the exchange's time (server time, kline times), never the local clock.
import type { Candle } from '../domain/candle.js'
import { MINUTE_MS } from '../domain/intervals.js'
import type { Exchange, KlineStream, SymbolMeta } from '../exchange/exchange.js'
import type { LiveBus } from '../live/live-bus.js'
import type { Log } from '../log.js'
import { isFenced, type CandleStore, type TimeRange } from '../store/candle-store.js'
import { BatchWriter } from './batch-writer.js'
import { CatchUpRounds } from './catch-up-rounds.js'
import { ExchangeReach } from './exchange-reach.js'
import { IngestHealth, type StreamView } from './ingest-health.js'
import type { HealthIssue, IngestGauges, IngestStatus, LiveHealth } from './ingest-status.js'
import { liveSymbol, type LiveSymbol } from './live-symbols.js'
import { RestCatchUp } from './rest-catch-up.js'
import { klineStreamHandlers } from './stream-handlers.js'
import { SymbolLane } from './symbol-lane.js'
import { isRefusal, lookUpSymbols } from './symbol-meta.js'

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
  lastClosed?: number
  lastMessageAt?: number
  holes: TimeRange[]
  lane: SymbolLane
}

export class LiveIngestor implements IngestStatus {
  private readonly states = new Map<string, SymbolState>()
  private readonly writer: BatchWriter
  private readonly log: Log
  private readonly reach: ExchangeReach
  private readonly status: IngestHealth
  private readonly rounds: CatchUpRounds
  private readonly restCatchUp: RestCatchUp
  private readonly stopping = new AbortController()
  private stream?: KlineStream
  private startup?: Promise<void>
  private unwatchReach?: () => void

  constructor (private readonly opts: LiveIngestorOptions) {
    this.writer = new BatchWriter(opts.store)
    this.log = opts.log
    this.reach = new ExchangeReach({ log: opts.log, repeatMs: opts.unreachableLogMs })
    this.status = new IngestHealth({ reach: this.reach, staleAfterMs: opts.staleAfterMs, downAlertMs: opts.downAlertMs })
    this.rounds = new CatchUpRounds({ round: () => this.catchUpRound(), retryMinMs: opts.retryMinMs, retryMaxMs: opts.retryMaxMs })
    this.restCatchUp = new RestCatchUp({
      exchange: opts.exchange,
      store: opts.store,
      writer: this.writer,
      log: opts.log,
      lookbackMs: opts.lookbackMs,
      publishLimit: opts.publishLimit ?? 600,
      publish: (candle) => this.opts.bus.publish({ type: 'candle', candle, final: true }),
      counters: this.status.counters,
      signal: this.stopping.signal
    })
    for (const symbol of opts.symbols) this.states.set(symbol, this.newState(symbol))
  }

  private newState (symbol: string): SymbolState {
    const state: SymbolState = {
      symbol,
      lastClosed: this.opts.store.storedRange(symbol, '1m')?.last,
      holes: [],
      lane: new SymbolLane({
        applyClosed: (c) => this.applyClosed(state, c),
        // A partial of a bar already closed here is late news; drop it.
        publishPartial: (p) => {
          if (state.lastClosed === undefined || p.ts > state.lastClosed) this.opts.bus.publish({ type: 'candle', candle: p, final: false })
        },
        onError: (err) => {
          // A term that ended under this ingestor: not a failure, the new leader's catch-up stores them.
          if (isFenced(err)) this.log.warn({ symbol, reason: err.message }, 'live candles not stored: this process no longer leads ingestion')
          else this.log.error({ symbol, err }, 'failed to store live candles')
        }
      })
    }
    return state
  }

  private get stopped (): boolean {
    return this.stopping.signal.aborted
  }

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
    try {
      const lookup = await lookUpSymbols(this.opts.exchange, [...this.states.keys()], this.log)
      for (const symbol of lookup?.unknown ?? []) {
        this.states.delete(symbol)
        this.status.unknownSymbols.push(symbol)
      }
      for (const [symbol, meta] of lookup?.known ?? []) {
        const state = this.states.get(symbol)
        if (state !== undefined) state.meta = meta
      }
    } catch (err) {
      if (isRefusal(err)) return this.fail(err)
      throw err
    }
    if (this.stopped || this.status.fatal !== undefined) return
    const streams = [...this.states.values()].map((s) => ({ symbol: s.symbol, interval: '1m' as const }))
    if (streams.length === 0) {
      this.log.error('no live symbol is known to the exchange; live ingestion is idle')
      return
    }
    this.stream = this.opts.exchange.klineStream(streams, klineStreamHandlers({
      health: this.status,
      log: this.log,
      symbol: (symbol) => this.states.get(symbol),
      connected: () => this.rounds.request(),
      stopped: () => this.stopped
    }))
  }

  private fail (err: Error): void {
    this.status.fatal = err.message
    this.rounds.stop()
    this.log.fatal({ err }, 'live ingestion stopped: the exchange refuses this service')
    void this.stream?.stop()
  }

  /** Stores one closed kline, repairing the hole before it when it is not the next minute. */
  private async applyClosed (state: SymbolState, c: Candle): Promise<void> {
    if (state.lastClosed !== undefined && c.ts > state.lastClosed + MINUTE_MS) {
      const hole = { first: state.lastClosed + MINUTE_MS, last: c.ts - MINUTE_MS }
      this.status.counters.gap_repairs_total++
      this.log.info({ symbol: state.symbol, from: hole.first, to: hole.last }, 'closed kline skipped minutes; repairing the hole from REST')
      try {
        await this.restCatchUp.repair(state, hole, c.ts + MINUTE_MS)
      } catch (err) {
        if (isRefusal(err)) this.fail(err)
        state.holes.push(hole)
        this.log.warn({ symbol: state.symbol, err }, 'hole repair failed; retrying with the next catch-up')
        this.rounds.retryLater()
      }
    }
    await this.writer.write([c])
    if (state.lastClosed === undefined || c.ts > state.lastClosed) {
      state.lastClosed = c.ts
      this.status.counters.live_candles_total++
      this.opts.bus.publish({ type: 'candle', candle: c, final: true })
    }
  }

  /** One catch-up of every symbol; false when it failed and is to be retried. */
  private async catchUpRound (): Promise<boolean> {
    const states = [...this.states.values()]
    for (const s of states) s.lane.hold()
    // Let closed candles already queued land first, so lastClosed is current.
    await Promise.all(states.map((s) => s.lane.idle()))
    let failed = false
    const filled: string[] = []
    try {
      const serverTime = await this.opts.exchange.serverTime()
      for (const s of states) {
        if (this.stopped) break
        if (await this.restCatchUp.catchUp(s, serverTime) > 0) filled.push(s.symbol)
        s.lane.release()
      }
    } catch (err) {
      failed = true
      if (isRefusal(err)) this.fail(err)
      else if (!this.stopped) this.log.warn({ err }, 'catch-up failed; retrying')
    }
    for (const s of states) s.lane.release()
    if (filled.length > 0 || !failed) this.opts.bus.publish({ type: 'resync_done', interval: '1m', symbols: filled })
    return !failed
  }

  /** Resolves once no catch-up runs and every received closed candle is stored. */
  async idle (): Promise<void> {
    await this.startup
    for (;;) {
      await this.rounds.current
      await Promise.all([...this.states.values()].map((s) => s.lane.idle()))
      await this.writer.drain()
      if (this.rounds.current === undefined) return
    }
  }

  /** Stops the stream and stores every closed candle already received. */
  async stop (): Promise<void> {
    this.stopping.abort()
    this.rounds.stop()
    this.unwatchReach?.()
    await this.startup
    await this.stream?.stop()
    await this.rounds.current
    // Closed klines held during an interrupted catch-up are still real candles: keep them.
    for (const s of this.states.values()) {
      const held = s.lane.takeHeld()
      if (held.length > 0) {
        await this.writer.write(held).catch((err: unknown) => {
          this.log.warn({ symbol: s.symbol, candles: held.length, err }, 'could not store the closed candles held at stop; the next catch-up fetches them again')
        })
      }
    }
    await Promise.all([...this.states.values()].map((s) => s.lane.idle()))
    await this.writer.drain()
  }

  liveSymbols (): LiveSymbol[] {
    const active = this.stream?.state === 'open' && this.status.fatal === undefined
    return [...this.states.values()].map((s) => liveSymbol(s.symbol, s.meta, active))
  }

  private streamView (): StreamView {
    return { open: this.stream?.state === 'open', reconnectAttempts: this.stream?.reconnectAttempts ?? 0 }
  }

  health (): { live: LiveHealth, issues: HealthIssue[], notices: HealthIssue[] } {
    return this.status.report(this.states.values(), this.streamView())
  }

  gauges (): IngestGauges {
    return this.status.gauges(this.streamView())
  }

  get badMessages (): number {
    return this.status.counters.bad_messages_total
  }
}
