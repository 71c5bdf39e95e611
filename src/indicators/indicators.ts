// GET /api/v1/indicators without HTTP: the candles the request names (chosen exactly as
// /api/v1/candles chooses them), the warm-up bars stored before them, the indicator over both.
import type { Interval } from '../domain/intervals.js'
import type { MarketData } from '../query/market-data.js'
import { resolveCandleQuery, type CandleLimits, type CandleParams } from '../query/candle-request.js'
import type { CandleParamKeys } from '../query/candle-params.js'
import { computeIndicator } from './indicator-series.js'
import { INDICATOR_COLUMNS, parseIndicatorParams, warmupBars, type IndicatorName, type IndicatorParams, type RawIndicatorParams } from './indicator-specs.js'

export interface IndicatorAnswer {
  symbol: string
  interval: Interval
  name: IndicatorName
  params: Record<string, number>
  /** Stored bars a bar needs before it to get a value. */
  warmup: number
  columns: string[]
  /** [open time ms, ...values], ascending; candles without enough history before them are left out. */
  data: number[][]
}

function paramsRecord (p: IndicatorParams): Record<string, number> {
  const { name: _name, ...rest } = p
  return rest
}

export class Indicators {
  constructor (
    private readonly market: MarketData,
    private readonly limits: CandleLimits
  ) {}

  /**
   * `keys` names the spelling each candle parameter was sent as, for the error messages. `signal`
   * aborts when nobody waits for the answer; reads also stop at the query timeout (503).
   */
  async compute (raw: CandleParams & RawIndicatorParams, keys: CandleParamKeys, signal?: AbortSignal): Promise<IndicatorAnswer> {
    const params = parseIndicatorParams(raw)
    const q = resolveCandleQuery(raw, this.limits, keys)
    this.market.requireKnown(q.symbol)
    const warmup = warmupBars(params)
    const answer = { symbol: q.symbol, interval: q.interval, name: params.name, params: paramsRecord(params), warmup, columns: ['ts', ...INDICATOR_COLUMNS[params.name]] }
    const bars = await this.market.readCandles(q, signal)
    if (bars.length === 0) return { ...answer, data: [] }
    // The warm-up is the `warmup` bars stored before the first one asked for (fewer near the start).
    const before = warmup === 0 ? [] : await this.market.readCandles({ symbol: q.symbol, interval: q.interval, to: bars[0]![0] - 1, limit: warmup }, signal)
    const rows = computeIndicator(params, [...before, ...bars].map((b) => b[4]))
    const data: number[][] = []
    for (let i = 0; i < bars.length; i++) {
      const index = before.length + i
      const row = rows[index]
      // A warm-up shorter than asked for starts at the first stored bar, so `index` is always at
      // most the number of stored bars before this one, and equal to it whenever it is < warmup.
      if (index >= warmup && row !== null && row !== undefined) data.push([bars[i]![0], ...row])
    }
    return { ...answer, data }
  }
}
