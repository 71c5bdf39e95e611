// TypeBox schemas of GET /api/v1/indicators: the candle window parameters plus the indicator's.
import { Type } from 'typebox'
import { INDICATOR_NAMES, MAX_PERIOD } from '../indicators/indicator-specs.js'
import { CandlesQuery, IntervalName } from './api-schemas.js'

const period = (description: string) => Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PERIOD, description }))

export const IndicatorsQuery = Type.Object({
  ...CandlesQuery.properties,
  name: Type.Optional(Type.String({ maxLength: 16, description: `Indicator (required): ${INDICATOR_NAMES.join(', ')}`, examples: ['ema'] })),
  period: period('sma, ema (default 20, 1 and up), rsi (default 14, 2 and up), bbands (default 20, 2 and up)'),
  fast: period('macd fast EMA (default 12)'),
  slow: period('macd slow EMA (default 26, above fast)'),
  signal: period('macd signal EMA (default 9)'),
  stddev: Type.Optional(Type.Number({ description: 'bbands width in standard deviations (default 2, above 0, at most 10)' }))
})

export const IndicatorsResponse = Type.Object({
  symbol: Type.String(),
  interval: IntervalName,
  name: Type.String({ enum: [...INDICATOR_NAMES] }),
  params: Type.Record(Type.String(), Type.Number(), { description: 'Parameters used, defaults included' }),
  warmup: Type.Integer({ minimum: 0, description: 'Stored bars a candle needs before it to get a value' }),
  columns: Type.Array(Type.String(), { description: 'Names of each data row\'s entries: ts, then value, or macd/signal/histogram, or lower/middle/upper' }),
  data: Type.Array(Type.Array(Type.Number()), { description: 'Ascending by candle open time (ms); candles with fewer than warmup stored bars before them are left out' })
})
