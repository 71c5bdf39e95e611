// The Exchange over Binance (or anything that speaks its wire format, such as the simulator).
import type { Log } from '../../log.js'
import type { Exchange, ExchangeKline, KlinePageRequest, KlineStream, KlineStreamHandlers, ReachListener, StreamKey, SymbolMeta } from '../exchange.js'
import { BinanceKlineStream, type KlineStreamTuning } from './kline-stream.js'
import { BinanceRestClient, type RestPolicy } from './rest-client.js'

export interface BinanceExchangeOptions extends KlineStreamTuning {
  restUrl: string
  wsUrl: string
  log: Log
  rest?: Partial<RestPolicy>
}

export class BinanceExchange implements Exchange {
  readonly name = 'binance'
  readonly rest: BinanceRestClient
  private readonly streams = new Set<KlineStream>()
  private readonly reachListeners = new Set<ReachListener>()
  /** Fans the clients' reach reports out to every watcher. */
  private readonly reach: ReachListener = {
    unreachable: (host, reason) => { for (const l of this.reachListeners) l.unreachable(host, reason) },
    reached: (host) => { for (const l of this.reachListeners) l.reached(host) }
  }

  constructor (private readonly opts: BinanceExchangeOptions) {
    this.rest = new BinanceRestClient(opts.restUrl, opts.log.child({ component: 'binance-rest' }), opts.rest, this.reach)
  }

  watchReach (listener: ReachListener): () => void {
    this.reachListeners.add(listener)
    return () => { this.reachListeners.delete(listener) }
  }

  klines (req: KlinePageRequest): Promise<ExchangeKline[]> {
    return this.rest.klines(req.symbol, req.interval, req)
  }

  exchangeInfo (symbols: readonly string[]): Promise<SymbolMeta[]> {
    return this.rest.exchangeInfo(symbols)
  }

  serverTime (): Promise<number> {
    return this.rest.serverTime()
  }

  klineStream (streams: readonly StreamKey[], handlers: KlineStreamHandlers): KlineStream {
    const stream = new BinanceKlineStream({
      wsUrl: this.opts.wsUrl,
      streams,
      handlers,
      log: this.opts.log.child({ component: 'binance-stream' }),
      silenceTimeoutMs: this.opts.silenceTimeoutMs,
      backoffMinMs: this.opts.backoffMinMs,
      backoffMaxMs: this.opts.backoffMaxMs,
      reach: this.reach
    })
    this.streams.add(stream)
    return stream
  }

  async close (): Promise<void> {
    this.rest.close()
    await Promise.all([...this.streams].map((s) => s.stop()))
    this.streams.clear()
  }
}
