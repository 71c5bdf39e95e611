// TypeBox schemas of the TradingView UDF endpoints under /udf, shaped as the Charting Library's
// UDFCompatibleDatafeed reads them.
import { Type } from 'typebox'
import { UDF_RESOLUTIONS } from '../udf/resolutions.js'

const resolutionList = UDF_RESOLUTIONS.join(' ')

export const UdfErrorResponse = Type.Object({
  s: Type.Literal('error'),
  errmsg: Type.String({ description: 'What went wrong and how to fix it' })
}, { description: 'A UDF error; 400 for a bad parameter, 404 for an unknown symbol, 503 for a history read past HTTP_QUERY_TIMEOUT_MS' })

export const UdfConfigResponse = Type.Object({
  supported_resolutions: Type.Array(Type.String(), { description: `TradingView resolutions, one per interval served: ${resolutionList}` }),
  supports_search: Type.Boolean(),
  supports_group_request: Type.Boolean(),
  supports_marks: Type.Boolean(),
  supports_timescale_marks: Type.Boolean(),
  supports_time: Type.Boolean(),
  exchanges: Type.Array(Type.Object({ value: Type.String(), name: Type.String(), desc: Type.String() })),
  symbols_types: Type.Array(Type.Object({ name: Type.String(), value: Type.String() }))
})

const symbolParam = Type.String({ maxLength: 60, description: 'Symbol, any case, optionally prefixed BINANCE:', examples: ['BTCUSDT'] })

export const UdfSymbolQuery = Type.Object({ symbol: Type.Optional(symbolParam) })

export const UdfSymbolInfoResponse = Type.Object({
  name: Type.String(),
  ticker: Type.String(),
  full_name: Type.String(),
  description: Type.String(),
  type: Type.Literal('crypto'),
  session: Type.Literal('24x7'),
  timezone: Type.Literal('Etc/UTC'),
  exchange: Type.String(),
  listed_exchange: Type.String(),
  format: Type.Literal('price'),
  minmov: Type.Integer({ description: 'Tick = minmov / pricescale' }),
  pricescale: Type.Integer({ description: 'A power of 10: from the exchange tick size when known, else from the stored prices\' decimals' }),
  has_intraday: Type.Boolean(),
  has_seconds: Type.Boolean(),
  has_daily: Type.Boolean(),
  has_weekly_and_monthly: Type.Boolean(),
  intraday_multipliers: Type.Array(Type.String()),
  supported_resolutions: Type.Array(Type.String()),
  volume_precision: Type.Integer({ minimum: 0 }),
  data_status: Type.Optional(Type.Literal('streaming', { description: 'Present while the symbol\'s live stream is subscribed' }))
})

export const UdfSearchQuery = Type.Object({
  query: Type.Optional(Type.String({ maxLength: 60, description: 'Substring of symbol, base or quote; empty lists all' })),
  type: Type.Optional(Type.String({ maxLength: 20, description: 'crypto or empty' })),
  exchange: Type.Optional(Type.String({ maxLength: 20, description: 'BINANCE or empty' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, description: 'Most rows; default 30, at most 100' }))
})

export const UdfSearchResponse = Type.Array(Type.Object({
  symbol: Type.String(),
  full_name: Type.String(),
  description: Type.String(),
  exchange: Type.String(),
  ticker: Type.String(),
  type: Type.String()
}))

export const UdfQuotesQuery = Type.Object({
  symbols: Type.Optional(Type.String({ maxLength: 2000, description: 'Comma list of symbols (at most 50)' }))
})

const num = Type.Number()

export const UdfQuotesResponse = Type.Object({
  s: Type.Literal('ok'),
  d: Type.Array(Type.Object({
    s: Type.String({ enum: ['ok', 'error'] }),
    n: Type.String({ description: 'The symbol as requested' }),
    errmsg: Type.Optional(Type.String()),
    v: Type.Object({
      ch: Type.Optional(num),
      chp: Type.Optional(Type.Number({ description: 'Change in percent, 2 decimals' })),
      short_name: Type.Optional(Type.String()),
      exchange: Type.Optional(Type.String()),
      description: Type.Optional(Type.String()),
      lp: Type.Optional(Type.Number({ description: 'Close of the newest stored bar' })),
      open_price: Type.Optional(num),
      high_price: Type.Optional(num),
      low_price: Type.Optional(num),
      prev_close_price: Type.Optional(Type.Number({ description: 'Close of the newest bar opening 24 h or more before the newest one' })),
      volume: Type.Optional(Type.Number({ description: 'Base volume over the 24 h window' }))
    })
  }))
})

const seconds = (description: string) => Type.Optional(Type.Integer({ minimum: 0, description }))

export const UdfHistoryQuery = Type.Object({
  symbol: Type.Optional(symbolParam),
  resolution: Type.Optional(Type.String({ maxLength: 8, description: `One of ${resolutionList} (D, W, M accepted too)` })),
  from: seconds('Inclusive lower bound on bar open time, unix seconds; required unless countback is given'),
  to: seconds('Exclusive upper bound on bar open time, unix seconds (required)'),
  countback: Type.Optional(Type.Integer({ minimum: 1, description: 'The newest countback bars before to; takes priority over from. At most HTTP_MAX_LIMIT' }))
})

const column = (description: string) => Type.Optional(Type.Array(Type.Number(), { description }))

export const UdfHistoryResponse = Type.Object({
  s: Type.String({ enum: ['ok', 'no_data'] }),
  t: column('Bar open times, unix seconds, ascending'),
  o: column('Open'),
  h: column('High'),
  l: column('Low'),
  c: column('Close'),
  v: column('Volume'),
  nextTime: Type.Optional(Type.Number({ description: 'With no_data: open time (seconds) of the newest bar before to; absent before the first stored bar' }))
})
