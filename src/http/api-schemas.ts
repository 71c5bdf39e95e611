// TypeBox schemas of the public REST contract. Routes use them for validation and
// serialization, and the OpenAPI document is generated from them.
import { Type, type TObject, type TSchema } from 'typebox'
import { INTERVALS, type Interval } from '../domain/intervals.js'
import { aliasesOf, type CandleParamName } from '../query/candle-params.js'

export const ErrorResponse = Type.Object({
  error: Type.String({ description: 'Machine-readable code, e.g. limit_invalid' }),
  message: Type.String({ description: 'What went wrong and how to fix it' })
}, { description: 'Every error response' })

export const IntervalName = Type.String({ enum: [...INTERVALS], description: 'Binance interval label' })

const epochDescription = 'Epoch seconds or milliseconds (digits; values below 1e12 are seconds), or an ISO-8601 date (2024-01-01, UTC midnight) or date-time (2024-01-01T12:00:00Z, 2024-01-01T14:00:00.500+02:00; no offset is UTC), within 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z'

const symbolText = (description: string) => Type.String({ maxLength: 40, description })
const intervalText = (description: string) => Type.String({ maxLength: 8, description })
const timeText = (description: string) => Type.String({ maxLength: 40, description })
const limitNumber = (description: string) => Type.Integer({ minimum: 1, description })

// What each alias says of itself in the OpenAPI document, where "Alias of <name>" is not enough.
const ALIAS_NOTES: Partial<Record<string, string>> = {
  resolution: 'Alias of interval; also accepts TradingView resolutions (1, 5, 60, 240, D, W, M)'
}

function aliases (name: CandleParamName, spelling: (description: string) => TSchema): Record<string, TSchema> {
  return Object.fromEntries(aliasesOf(name).map((key) => [key, Type.Optional(spelling(ALIAS_NOTES[key] ?? `Alias of ${name}`))]))
}

const aliasList = (name: CandleParamName) => `aliases: ${aliasesOf(name).join(', ')}`

/**
 * The candle window parameters as the route validates them, after the aliases are folded into the
 * canonical names (src/query/candle-params.ts). The aliases stay listed so the OpenAPI document
 * shows every accepted spelling; each spelling keeps its place, which decides which mistake is
 * reported first.
 */
export const CandlesQuery = Type.Object({
  symbol: symbolText(`Symbol, any case (${aliasList('symbol')})`),
  ...aliases('symbol', symbolText),
  interval: Type.Unsafe<Interval>(Type.String({ enum: [...INTERVALS], description: `Interval (${aliasList('interval')}): ${INTERVALS.join(' ')}`, examples: ['1m'] })),
  ...aliases('interval', intervalText),
  from: Type.Optional(timeText(`Inclusive lower bound on open time (${aliasList('from')}). ${epochDescription}`)),
  ...aliases('from', timeText),
  to: Type.Optional(timeText(`Inclusive upper bound on open time (${aliasList('to')}). ${epochDescription}`)),
  ...aliases('to', timeText),
  limit: Type.Optional(limitNumber(`Number of candles (${aliasList('limit')}); default HTTP_DEFAULT_LIMIT, larger values are clamped to HTTP_MAX_LIMIT`)),
  ...aliases('limit', limitNumber)
})

/**
 * A route's query schema as a request may send it, before the aliases fold: `symbol` and
 * `interval` optional and `interval` any short text, every other property as it is. Checking this
 * first is what lets a bad lower-priority alias (`max=abc` beside `limit=2`) be refused, and type
 * mistakes be reported before a missing symbol.
 */
export function unfoldedQuery (schema: TObject): TObject {
  return Type.Object({
    ...schema.properties,
    symbol: Type.Optional(symbolText('Symbol')),
    interval: Type.Optional(intervalText('Interval'))
  })
}

export const CandleTupleSchema = Type.Array(Type.Number(), {
  minItems: 6,
  maxItems: 6,
  description: '[open time ms, open, high, low, close, volume]'
})

export const CandlesResponse = Type.Object({
  symbol: Type.String(),
  interval: IntervalName,
  data: Type.Array(CandleTupleSchema, { description: 'Ascending by open time' })
})

export const SymbolsQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 40, description: 'Case-insensitive substring of symbol, base or quote' })),
  active: Type.Optional(Type.String({ description: 'true: only symbols with a live stream' }))
})

export const SymbolsResponse = Type.Object({
  symbols: Type.Array(Type.Object({
    symbol: Type.String(),
    base: Type.Optional(Type.String()),
    quote: Type.Optional(Type.String()),
    status: Type.String({ enum: ['active', 'inactive'], description: 'active while a live stream is subscribed' })
  }))
})

const includeRangesDescription = 'true/1/yes/on: return {name, from, to} objects instead of names'

export const IntervalsRangeQuery = {
  include_ranges: Type.Optional(Type.String({ description: includeRangesDescription })),
  includeRanges: Type.Optional(Type.String({ description: 'Alias of include_ranges' }))
}

export const IntervalsQuery = Type.Object({
  symbol: Type.Optional(Type.String({ maxLength: 40, description: 'Symbol, any case (required)' })),
  ...IntervalsRangeQuery
})

export const IntervalsResponse = Type.Object({
  symbol: Type.String(),
  intervals: Type.Union([
    Type.Array(IntervalName),
    Type.Array(Type.Object({
      name: IntervalName,
      from: Type.Optional(Type.Number({ description: 'Open time of the first candle (ms)' })),
      to: Type.Optional(Type.Number({ description: 'Open time of the last candle (ms)' }))
    }))
  ])
})

export const LiveHealthSchema = Type.Object({
  enabled: Type.Boolean(),
  ws_state: Type.Number({ description: '1 while the exchange stream is connected' }),
  last_msg_age_ms: Type.Union([Type.Number(), Type.Null()]),
  symbols: Type.Record(Type.String(), Type.Object({
    last_closed_ts: Type.Union([Type.Number(), Type.Null()]),
    last_msg_age_ms: Type.Union([Type.Number(), Type.Null()])
  })),
  leadership: Type.Optional(Type.Object({
    role: Type.String({ enum: ['leader', 'standby'], description: 'Whether this process is the ingest leader (only with leader election, on a PostgreSQL store)' }),
    epoch: Type.Union([Type.Number(), Type.Null()], { description: "The leader's term; null while a standby" })
  }))
})

const RoleSchema = Type.String({ enum: ['all', 'ingest', 'api'], description: 'What this process runs (ROLE)' })

export const HealthResponse = Type.Object({
  status: Type.String({ enum: ['ok', 'error'] }),
  duckdb: Type.String({ enum: ['ready', 'error'] }),
  uptimeSec: Type.Integer({ minimum: 0, description: 'whole seconds since the service started' }),
  role: RoleSchema,
  live: LiveHealthSchema,
  details: Type.Optional(Type.Array(Type.Object({ issue: Type.String() }, { additionalProperties: true })))
})

export const ReadyResponse = Type.Object({
  status: Type.String({ enum: ['ready', 'not_ready'] }),
  reason: Type.Optional(Type.String())
})

export const VersionResponse = Type.Object({
  name: Type.String(),
  version: Type.String(),
  commit: Type.Optional(Type.String()),
  node: Type.String(),
  duckdb: Type.String()
})

const RouteStatsSchema = Type.Object({
  requests: Type.Number(),
  p95_ms: Type.Number(),
  p99_ms: Type.Number()
})

const BusStatsSchema = Type.Object({
  kind: Type.String({ enum: ['local', 'redis'], description: 'The live bus (BUS)' }),
  connected: Type.Boolean({ description: 'False while messages cannot flow (Redis down or not yet reached)' }),
  published_total: Type.Number({ description: 'Live messages and write notices handed to the bus' }),
  received_total: Type.Number({ description: 'Messages received over the bus' }),
  publish_failed_total: Type.Number({ description: 'Publishes that failed while Redis was down' }),
  invalid_total: Type.Number({ description: 'Received messages that were not bus messages, dropped' }),
  reconnects_total: Type.Number({ description: 'Times the Redis connection came back' }),
  recoveries_total: Type.Number({ description: 'Recoveries run after messages may have been lost' }),
  recovered_finals_total: Type.Number({ description: 'Finals re-published from the store by recoveries' }),
  listener_errors_total: Type.Number()
})

export const StatsResponse = Type.Object({
  uptime_seconds: Type.Number(),
  role: RoleSchema,
  threads: Type.Number({ description: 'DuckDB worker threads (THREADS)' }),
  backend_active: Type.Boolean({ description: 'The candle store answers queries' }),
  reconnect_attempts_total: Type.Number(),
  rest_catchup_candles_total: Type.Number(),
  ws_state: Type.Number(),
  last_msg_age_ms: Type.Union([Type.Number(), Type.Null()]),
  live_candles_total: Type.Number(),
  gap_repairs_total: Type.Number(),
  rejected_candles_total: Type.Number(),
  leader: Type.Optional(Type.Number({ description: 'With leader election: 1 while this process is the ingest leader, 0 while a standby' })),
  leader_epoch: Type.Optional(Type.Union([Type.Number(), Type.Null()], { description: "With leader election: the leader's term; null while a standby" })),
  routes: Type.Record(Type.String(), RouteStatsSchema),
  cache: Type.Object({
    entries: Type.Number({ description: 'Latest-N candle bodies cached' }),
    bytes: Type.Number({ description: 'Bytes they count against the budget' }),
    max_bytes: Type.Number({ description: 'The budget (LATEST_CACHE_MAX_BYTES; 0: no cache)' }),
    hits: Type.Number(),
    misses: Type.Number()
  }),
  ws: Type.Object({
    clients: Type.Number({ description: 'Connected /ws clients' }),
    subscriptions: Type.Number(),
    topics: Type.Number({ description: '(symbol, interval) pairs being produced' }),
    connections_total: Type.Number(),
    messages_sent_total: Type.Number(),
    bytes_sent_total: Type.Number(),
    closed_backpressure_total: Type.Number({ description: 'Clients closed with 1013 for not reading fast enough' }),
    closed_pong_timeout_total: Type.Number(),
    closed_limit_total: Type.Number({ description: 'Clients closed for oversized frames or flooding' }),
    refused_total: Type.Number({ description: 'Upgrades refused (client limit, origin)' }),
    client_errors_total: Type.Number({ description: 'Error replies to bad client messages' })
  }),
  bus: BusStatsSchema
})
