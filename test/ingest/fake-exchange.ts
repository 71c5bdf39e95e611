// An Exchange over a fixed list of 1m candles, answering REST pages in memory and recording every
// page asked; a test can hold answers back (`gate`) to see what is requested while a page is out.
import type { Candle } from '../../src/domain/candle.js'
import { MINUTE_MS } from '../../src/domain/intervals.js'
import type { Exchange, ExchangeKline, KlinePageRequest, KlineStream, SymbolMeta } from '../../src/exchange/exchange.js'
import type { Log } from '../../src/log.js'

export class FakeExchange implements Exchange {
  readonly name = 'fake'
  readonly requests: KlinePageRequest[] = []
  /** While set, a page waits for what it returns before answering. */
  gate?: (req: KlinePageRequest) => Promise<void> | undefined
  /** Fails the page request with this error (every one while set). */
  failWith?: Error
  serverNow: number
  metas: SymbolMeta[] = []

  constructor (private readonly candles: readonly Candle[], serverNow: number) {
    this.serverNow = serverNow
  }

  async klines (req: KlinePageRequest): Promise<ExchangeKline[]> {
    this.requests.push(req)
    await this.gate?.(req)
    if (this.failWith !== undefined) throw this.failWith
    return this.candles
      .filter((c) => c.symbol === req.symbol && c.ts >= (req.startTime ?? 0) && c.ts <= (req.endTime ?? Infinity))
      .slice(0, req.limit)
      .map((candle) => ({ candle, closeTime: candle.ts + MINUTE_MS - 1 }))
  }

  async exchangeInfo (symbols: readonly string[]): Promise<SymbolMeta[]> {
    return this.metas.filter((m) => symbols.includes(m.symbol))
  }

  async serverTime (): Promise<number> {
    return this.serverNow
  }

  klineStream (): KlineStream {
    throw new Error('the fake exchange has no stream')
  }

  async close (): Promise<void> {}
}

/** A log that keeps what was warned. */
export function recordingLog (): { warnings: Array<{ obj: unknown, msg?: string }> } & Log {
  const warnings: Array<{ obj: unknown, msg?: string }> = []
  const log = {
    warnings,
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: (obj: unknown, msg?: string) => { warnings.push({ obj, msg }) },
    error: () => {},
    fatal: () => {},
    child: () => log
  }
  return log
}
