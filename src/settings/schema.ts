// Every setting of the service in one TypeBox schema: its type, bounds, default and meaning. The
// parser (parse-setting.ts), the command line and its --help all read this one table.
import { Type, type Static, type TSchema } from 'typebox'
import { INTERVALS } from '../domain/intervals.js'

const ms = (description: string, def: number, minimum = 1) =>
  Type.Integer({ minimum, maximum: 2_147_483_647, default: def, description })

export const SettingsSchema = Type.Object({
  LIVE: Type.Boolean({ default: true, description: 'Ingest live candles from the exchange: catch-up, kline streams, gap repair' }),
  ROLE: Type.Enum(['all', 'ingest', 'api'], { default: 'all', description: 'What this process does: all (one process), ingest (exchange, store writes, bus, maintenance; serves only health, readiness, metrics and stats) or api (REST and /ws from the shared store and bus); ingest and api need STORAGE=postgres and BUS=redis' }),
  STORAGE: Type.Enum(['duck', 'memory', 'postgres'], { default: 'duck', description: 'Candle store: a DuckDB file (duck), an in-memory DuckDB (memory) or PostgreSQL at DATABASE_URL (postgres, shared by several processes)' }),
  DATABASE_URL: Type.String({ default: '', description: 'With STORAGE=postgres: the PostgreSQL URL, e.g. postgres://user:password@127.0.0.1:5432/tv_api' }),
  BUS: Type.Enum(['local', 'redis'], { default: 'local', description: 'Live bus between ingestion and /ws: in process (local) or Redis pub/sub at REDIS_URL (redis, shared by several processes; also holds the rate-limit counters)' }),
  REDIS_URL: Type.String({ default: '', description: 'With BUS=redis: the Redis URL, e.g. redis://127.0.0.1:6379 (rediss:// for TLS)' }),
  REDIS_PREFIX: Type.String({ minLength: 1, default: 'tv-api:', description: 'Prefix of every Redis channel and key the service uses, so several deployments can share one server' }),
  DUCKDB: Type.String({ minLength: 1, default: 'data/market.duckdb', description: 'DuckDB file path; parent directories are created' }),
  EXCHANGE: Type.Enum(['binance', 'simulator'], { default: 'binance', description: 'Upstream exchange: binance, or the built-in Binance simulator (offline)' }),
  BINANCE_REST_URL: Type.String({ default: 'https://api.binance.com', description: 'Binance REST base URL (no trailing slash)' }),
  BINANCE_WS_URL: Type.String({ default: 'wss://stream.binance.com:9443', description: 'Binance WebSocket stream base URL' }),
  SIMULATOR_SPEED: Type.Integer({ minimum: 1, maximum: 3600, default: 1, description: 'With EXCHANGE=simulator: simulated seconds per real second (60 closes a candle every second)' }),
  LIVE_SYMBOLS: Type.Array(Type.String(), { default: ['BTCUSDT', 'ETHUSDT'], description: 'Comma list of symbols ingested live' }),
  LIVE_INTERVALS: Type.Array(Type.Enum([...INTERVALS]), { default: ['1m'], description: 'Comma list of intervals pushed on /ws to clients that never subscribe (subscribers may ask for any interval)' }),
  LIVE_LOOKBACK: Type.String({ default: '1d', description: 'History fetched for a live symbol with no stored candles, e.g. 90m, 3d' }),
  LOG_LEVEL: Type.Enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal'], { default: 'info', description: 'Log level' }),
  HTTP_CORS_ENABLE: Type.Boolean({ default: false, description: 'Send CORS headers and answer preflight OPTIONS requests' }),
  HTTP_CORS_ORIGIN: Type.Array(Type.String(), { default: [], description: 'Comma list of allowed origins: exact origins, * or patterns like https://*.example.com' }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0', description: 'Address to listen on' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'HTTP and WebSocket port (0 picks a free port)' }),
  THREADS: Type.Integer({ minimum: 1, maximum: 256, default: 1, description: 'DuckDB worker threads' }),
  DUCKDB_MEMORY_LIMIT: Type.String({ default: '192MB', description: 'DuckDB memory limit (its cache and query memory; beyond it DuckDB spills to disk), e.g. 192MB, 1GB' }),
  HTTP_DEFAULT_LIMIT: Type.Integer({ minimum: 1, maximum: 100_000, default: 600, description: 'Candles returned when a request gives no limit' }),
  HTTP_MAX_LIMIT: Type.Integer({ minimum: 1, maximum: 100_000, default: 5000, description: 'Largest limit served; larger requests are clamped to it' }),
  LATEST_CACHE_MAX_BYTES: Type.Integer({ minimum: 0, maximum: 17_179_869_184, default: 33_554_432, description: 'Byte budget of the cache of latest-N candle bodies (least recently used dropped first; 0 turns the cache off)' }),
  HTTP_QUERY_TIMEOUT_MS: ms('Longest a candle query may run; past it, or when the client disconnects, it is interrupted (503 query_timeout)', 30_000),
  TRUST_PROXY: Type.String({ default: 'false', description: 'Trust X-Forwarded-* from proxies: false, true, a hop count, or a comma list of proxy IPs/CIDRs (e.g. Cloudflare ranges)' }),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0, description: 'Requests per client IP per window (0 turns rate limiting off); health, readiness and metrics are exempt' }),
  RATE_LIMIT_WINDOW_MS: ms('Rate limit window', 60_000),
  EXPORT_CANDLES_PER_REQUEST: Type.Integer({ minimum: 1, maximum: 100_000_000, default: 10_000, description: 'An export counts as one request against RATE_LIMIT_MAX per this many candles it holds' }),
  EXPORT_MAX_CONCURRENT: Type.Integer({ minimum: 1, maximum: 1000, default: 2, description: 'Most exports streaming at once across the service (one per client); more get 503 with Retry-After' }),
  MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1000, description: 'Answer 503 (Retry-After) while the event loop lags more than this (0 turns overload protection off)' }),
  CHECKPOINT_INTERVAL_MS: Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 600_000, description: 'DuckDB CHECKPOINT period (0: only DuckDB\'s own)' }),
  RETENTION_DAYS: Type.String({ default: '', description: 'Delete candles older than this many days: one number for every interval, or per interval like 1m=90,1h=730 (empty keeps everything)' }),
  WS_PING_PERIOD_MS: ms('Interval between WebSocket pings to clients', 30_000),
  WS_PONG_TIMEOUT_MS: ms('Close a client that has not answered a ping for this long', 75_000),
  WS_SEND_QUEUE_MAX_MSGS: ms('Most messages queued for one WebSocket client before it is closed', 500),
  WS_SEND_QUEUE_MAX_BYTES: ms('Most bytes queued for one WebSocket client before it is closed', 15_728_640),
  WS_STALL_TIMEOUT_MS: ms('Close a WebSocket client whose queue has not drained for this long', 20_000),
  WS_MAX_CLIENTS: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000, description: 'Most /ws connections; more are refused with 503' }),
  WS_MAX_SUBSCRIPTIONS: Type.Integer({ minimum: 1, maximum: 10_000, default: 100, description: 'Most subscriptions per /ws connection' }),
  WS_MAX_MESSAGE_BYTES: Type.Integer({ minimum: 256, maximum: 1_048_576, default: 4096, description: 'Largest frame a /ws client may send; larger frames close it with 1009' }),
  WS_EMIT_PARTIALS: Type.Boolean({ default: true, description: 'Push forming (partial) candles on /ws' }),
  WS_PARTIAL_THROTTLE_MS: ms('Minimum gap between partials of one topic (0 sends every update)', 0, 0)
})

/** The settings as written (text settings still text), e.g. what a test overrides. */
export type Settings = Static<typeof SettingsSchema>
export type SettingName = keyof Settings

/** One setting's schema, with the keywords the parser and --help read. */
export interface SettingSchema extends TSchema {
  type: 'boolean' | 'integer' | 'string' | 'array'
  description: string
  default: unknown
  minimum?: number
  maximum?: number
  minLength?: number
  enum?: string[]
}

export const SETTING_SCHEMAS = SettingsSchema.properties as unknown as Readonly<Record<SettingName, SettingSchema>>
export const SETTING_NAMES = Object.keys(SETTING_SCHEMAS) as SettingName[]

/** Spellings accepted for compatibility: the original service's compose files and settings. */
const ALIASES: Readonly<Record<string, SettingName>> = {
  CORS_ENABLE: 'HTTP_CORS_ENABLE',
  CORS_ORIGIN: 'HTTP_CORS_ORIGIN',
  DUCKDB_PATH: 'DUCKDB'
}

/** The setting an environment name (or upper-snake flag) stands for, aliases included. */
export function settingFor (key: string): SettingName | undefined {
  if (Object.hasOwn(SETTING_SCHEMAS, key)) return key as SettingName
  return Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined
}

/** The other names a setting is accepted under (environment and .env). */
export function aliasesOf (name: SettingName): string[] {
  return Object.entries(ALIASES).filter(([, n]) => n === name).map(([a]) => a)
}

/** A value in the text form the environment and flags use: lists comma-joined, booleans 1/0. */
export function settingText (value: unknown): string {
  if (Array.isArray(value)) return value.join(',')
  if (typeof value === 'boolean') return value ? '1' : '0'
  return String(value)
}
