// Runs one indicator over closes with trading-signals, returning a value row per bar once the
// library reports the indicator stable.
import { BollingerBands, EMA, MACD, RSI, SMA } from 'trading-signals'
import type { IndicatorParams } from './indicator-specs.js'

/** The values of one bar (one or three numbers), or null while the indicator is not stable. */
export type IndicatorRow = number[] | null

function single (indicator: SMA | EMA | RSI, closes: readonly number[]): IndicatorRow[] {
  return closes.map((c) => {
    const v = indicator.add(c)
    return v !== null && indicator.isStable ? [v] : null
  })
}

export function computeIndicator (p: IndicatorParams, closes: readonly number[]): IndicatorRow[] {
  switch (p.name) {
    case 'sma': return single(new SMA(p.period), closes)
    // The library's EMA returns a value from the first input; it is stable after `period` of them.
    case 'ema': return single(new EMA(p.period), closes)
    case 'rsi': return single(new RSI(p.period), closes)
    case 'bbands': {
      const bb = new BollingerBands(p.period, p.stddev)
      return closes.map((c) => {
        const r = bb.add(c)
        return r === null ? null : [r.lower, r.middle, r.upper]
      })
    }
    case 'macd': {
      const macd = new MACD(new EMA(p.fast), new EMA(p.slow), new EMA(p.signal))
      return closes.map((c) => {
        const r = macd.add(c)
        return r === null || !macd.isStable ? null : [r.macd, r.signal, r.histogram]
      })
    }
  }
}
