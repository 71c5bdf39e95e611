// Every setting of the service in one TypeBox schema, and the merging of its four sources:
// built-in defaults < .env file < environment < command-line flags (later wins).
//
// Each source is parsed strictly on its own first, so an error names where the bad value came
// from; the typed layers are then merged and checked by env-schema, the engine behind
// @fastify/env, which plugins/config.ts registers with the same result.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseEnv } from 'node:util'
import envSchema from 'env-schema'
import { Type, type Static, type TSchema } from 'typebox'
import { parseBoolean } from './domain/boolean-words.js'
import { INTERVALS, isInterval } from './domain/intervals.js'
import { normalizeSymbol } from './domain/symbols.js'
import { parseDuration } from './domain/time.js'

const ms = (description: string, def: number, minimum = 1) =>
  Type.Integer({ minimum, maximum: 2_147_483_647, default: def, description })

export const ConfigSchema = Type.Object({
  LIVE: Type.Boolean({ default: true, description: 'Ingest live candles from the exchange: catch-up, kline streams, gap repair' }),
  STORAGE: Type.Enum(['duck', 'memory'], { default: 'duck', description: 'Candle store: a DuckDB file (duck) or an in-memory DuckDB (memory)' }),
  DUCKDB: Type.String({ minLength: 1, default: 'data/market.duckdb', description: 'DuckDB file path; parent directories are created' }),
  EXCHANGE: Type.Enum(['binance', 'simulator'], { default: 'binance', description: 'Upstream exchange: binance, or the built-in Binance simulator (offline)' }),
  BINANCE_REST_URL: Type.String({ default: 'https://api.binance.com', description: 'Binance REST base URL (no trailing slash)' }),
  BINANCE_WS_URL: Type.String({ default: 'wss://stream.binance.com:9443', description: 'Binance WebSocket stream base URL' }),
  SIMULATOR_SPEED: Type.Integer({ minimum: 1, maximum: 3600, default: 1, description: 'With EXCHANGE=simulator: simulated seconds per real second (60 closes a candle every second)' }),
  LIVE_SYMBOLS: Type.Array(Type.String(), { default: ['BTCUSDT', 'ETHUSDT'], description: 'Comma list of symbols ingested live' }),
  LIVE_INTERVALS: Type.Array(Type.String(), { default: ['1m'], description: 'Comma list of intervals pushed on /ws to clients that never subscribe (subscribers may ask for any interval)' }),
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

export type Config = Static<typeof ConfigSchema>
export type SettingName = keyof Config

/** Spellings accepted for compatibility: the seed's compose files and the original service. */
const ALIASES: Record<string, SettingName> = {
  CORS_ENABLE: 'HTTP_CORS_ENABLE',
  CORS_ORIGIN: 'HTTP_CORS_ORIGIN',
  DUCKDB_PATH: 'DUCKDB'
}

const PROPERTIES = ConfigSchema.properties as unknown as Record<SettingName, TSchema & Record<string, unknown>>
/** Each setting's schema (type, default, bounds, description), for the command line and its help. */
export const SETTING_PROPERTIES: Readonly<Record<SettingName, TSchema & Record<string, unknown>>> = PROPERTIES
export const SETTING_NAMES = Object.keys(PROPERTIES) as SettingName[]

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Validates one element of a comma list; returns the normalised element or an error. */
type ItemRule = (item: string) => { value: string } | { error: string }

const ORIGIN_RE = /^(\*|https?:\/\/(\*\.)?[a-z0-9.-]+(:\d{1,5})?)$/i

const ITEM_RULES: Partial<Record<SettingName, ItemRule>> = {
  LIVE_SYMBOLS: (item) => {
    const s = normalizeSymbol(item)
    return s === undefined ? { error: `"${item}" is not a symbol (letters and digits, e.g. BTCUSDT)` } : { value: s }
  },
  LIVE_INTERVALS: (item) =>
    isInterval(item) ? { value: item } : { error: `"${item}" is not an interval; allowed: ${INTERVALS.join(', ')}` },
  HTTP_CORS_ORIGIN: (item) =>
    ORIGIN_RE.test(item)
      ? { value: item.replace(/\/$/, '') }
      : { error: `"${item}" is not an origin; use http(s)://host[:port], * or https://*.example.com` }
}

/** Extra checks for string settings, beyond the schema. */
const STRING_RULES: Partial<Record<SettingName, (v: string) => string | undefined>> = {
  LIVE_LOOKBACK: (v) => parseDuration(v) === undefined ? 'must be a duration such as 90m, 12h, 3d or 2w' : undefined,
  BINANCE_REST_URL: (v) => /^https?:\/\/[^/\s]+(\/[^\s]*[^/\s])?$/.test(v) ? undefined : 'must be an http(s) URL without a trailing slash',
  DUCKDB_MEMORY_LIMIT: (v) => /^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(v) ? undefined : 'must be a size such as 192MB or 2GB',
  TRUST_PROXY: (v) => parseTrustProxy(v) === undefined ? 'must be false, true, a hop count, or a comma list of IPs/CIDRs' : undefined,
  RETENTION_DAYS: (v) => parseRetention(v) === undefined ? 'must be a number of days, or a list like 1m=90,1h=730' : undefined,
  BINANCE_WS_URL: (v) => /^wss?:\/\/[^/\s]+(\/[^\s]*[^/\s])?$/.test(v) ? undefined : 'must be a ws(s) URL without a trailing slash'
}

function describeAllowed (name: SettingName): string {
  const p = PROPERTIES[name]
  if (p.type === 'boolean') return 'must be one of 1, 0, true, false, yes, no, on, off'
  if (p.type === 'integer') return `must be an integer from ${p.minimum as number} to ${p.maximum as number}`
  if (Array.isArray(p.enum)) return `must be one of: ${(p.enum as string[]).join(', ')}`
  return 'is invalid'
}

/** Where a value came from, for error messages. */
interface Source { flag?: string, file?: string }

function where (name: SettingName, src: Source): string {
  if (src.flag !== undefined) return `${src.flag} (${name})`
  if (src.file !== undefined) return `${name} in ${src.file}`
  return name
}

/** Parses one raw text value of a setting into its typed form, or throws a one-line error. */
export function parseSetting (name: SettingName, raw: string, src: Source = {}): unknown {
  const p = PROPERTIES[name]
  const fail = (why: string): never => {
    throw new ConfigError(`invalid value "${raw}" for ${where(name, src)}: ${why}`)
  }
  const text = raw.trim()
  if (p.type === 'boolean') {
    return parseBoolean(text) ?? fail(describeAllowed(name))
  }
  if (p.type === 'integer') {
    if (!/^[+-]?\d+$/.test(text)) fail(describeAllowed(name))
    const n = Number(text)
    if (n < (p.minimum as number) || n > (p.maximum as number)) fail(describeAllowed(name))
    return n
  }
  if (Array.isArray(p.enum)) {
    const v = text.toLowerCase()
    return (p.enum as string[]).includes(v) ? v : fail(describeAllowed(name))
  }
  if (p.type === 'array') {
    const rule = ITEM_RULES[name]
    const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '')
    const out: string[] = []
    for (const item of items) {
      const r = rule === undefined ? { value: item } : rule(item)
      if ('error' in r) fail(r.error)
      else if (!out.includes(r.value)) out.push(r.value)
    }
    return out
  }
  if (text === '' && (p.minLength as number | undefined) !== undefined) fail('must not be empty')
  const why = STRING_RULES[name]?.(text)
  if (why !== undefined) fail(why)
  return text
}

/** TRUST_PROXY as Fastify's trustProxy option. */
export function parseTrustProxy (text: string): boolean | number | string[] | undefined {
  const t = text.trim()
  const b = parseBoolean(t)
  if (b !== undefined && !/^\d+$/.test(t)) return b
  if (/^\d+$/.test(t)) return Number(t) === 0 ? false : Number(t)
  const list = t.split(',').map((x) => x.trim()).filter((x) => x !== '')
  if (list.length === 0) return false
  return list.every((x) => /^[0-9a-f.:]+(\/\d{1,3})?$/i.test(x)) ? list : undefined
}

/** RETENTION_DAYS: days to keep per interval ('*' for every interval); {} keeps everything. */
export function parseRetention (text: string): Record<string, number> | undefined {
  const t = text.trim()
  if (t === '' || t === '0') return {}
  if (/^\d+$/.test(t)) return { '*': Number(t) }
  const out: Record<string, number> = {}
  for (const part of t.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    const m = /^(\w+)=(\d+)$/.exec(part)
    if (m === null || !isInterval(m[1]) || Number(m[2]) < 1) return undefined
    out[m[1]] = Number(m[2])
  }
  return out
}

export function settingFor (key: string): SettingName | undefined {
  if (key in PROPERTIES) return key as SettingName
  return ALIASES[key]
}

/** The other names a setting is accepted under (environment and .env). */
export function aliasesOf (name: SettingName): string[] {
  return Object.entries(ALIASES).filter(([, n]) => n === name).map(([a]) => a)
}

/** Service settings given as command-line flags: the raw text and the flag spelling used. */
export interface FlagSettings {
  settings: Map<SettingName, { raw: string, flag: string }>
}

export interface LoadConfigOptions {
  /** Flags already split by the command-line parser. */
  commandLine?: FlagSettings
  env?: NodeJS.ProcessEnv
  /** The .env file to read when present; defaults to `.env` in the working directory. */
  dotenvPath?: string | false
}

/** The typed layers, lowest precedence first, ready to be merged by env-schema. */
export function configLayers (opts: LoadConfigOptions = {}): Array<Record<string, unknown>> {
  const layers: Array<Record<string, unknown>> = []
  const fromText = (entries: Iterable<[string, string]>, src: (name: SettingName, key: string) => Source) => {
    const layer: Record<string, unknown> = {}
    for (const [key, value] of entries) {
      const name = settingFor(key)
      if (name === undefined || value === undefined) continue
      // An alias never overrides the real name given in the same source.
      if (name !== key && name in layer) continue
      layer[name] = parseSetting(name, value, src(name, key))
    }
    return layer
  }

  const dotenvPath = opts.dotenvPath === undefined ? '.env' : opts.dotenvPath
  if (dotenvPath !== false) {
    let text: string | undefined
    try {
      text = readFileSync(resolve(dotenvPath), 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`cannot read ${dotenvPath}: ${(err as Error).message}`)
    }
    if (text !== undefined) layers.push(fromText(Object.entries(parseEnv(text)) as Array<[string, string]>, () => ({ file: dotenvPath })))
  }
  const env = opts.env ?? process.env
  layers.push(fromText(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined), () => ({})))
  const flags: Record<string, unknown> = {}
  for (const [name, { raw, flag }] of opts.commandLine?.settings ?? []) {
    flags[name] = parseSetting(name, raw, { flag })
  }
  layers.push(flags)
  return layers
}

/** Merges the layers with env-schema (defaults applied, schema enforced) and checks cross-field rules. */
export function mergeConfig (layers: Array<Record<string, unknown>>): Config {
  let config: Config
  try {
    config = envSchema<Config>({ schema: structuredClone(ConfigSchema), data: [{}, ...layers.map((l) => ({ ...l }))], env: false, dotenv: false })
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${(err as Error).message}`)
  }
  if (config.HTTP_DEFAULT_LIMIT > config.HTTP_MAX_LIMIT) {
    throw new ConfigError(`invalid value ${config.HTTP_DEFAULT_LIMIT} for HTTP_DEFAULT_LIMIT: must not exceed HTTP_MAX_LIMIT (${config.HTTP_MAX_LIMIT})`)
  }
  if (config.LIVE && config.LIVE_SYMBOLS.length === 0) {
    throw new ConfigError('invalid value "" for LIVE_SYMBOLS: list at least one symbol when LIVE is on (or pass --live=0)')
  }
  const keepMinutes = parseRetention(config.RETENTION_DAYS)!
  const keep1m = keepMinutes['1m'] ?? keepMinutes['*']
  if (config.LIVE && keep1m !== undefined && keep1m * 86_400_000 <= parseDuration(config.LIVE_LOOKBACK)!) {
    throw new ConfigError(`invalid value "${config.RETENTION_DAYS}" for RETENTION_DAYS: 1m candles must be kept longer than LIVE_LOOKBACK (${config.LIVE_LOOKBACK}), or every catch-up would fetch them again`)
  }
  if (config.HTTP_CORS_ENABLE && config.HTTP_CORS_ORIGIN.length === 0) {
    throw new ConfigError('invalid value "" for HTTP_CORS_ORIGIN: list the allowed origins when HTTP_CORS_ENABLE is on')
  }
  return config
}

export function loadConfig (opts: LoadConfigOptions = {}): Config {
  return mergeConfig(configLayers(opts))
}

/** The configuration with every default, for tests and tools that build the app directly. */
export function defaultConfig (overrides: Partial<Config> = {}): Config {
  return mergeConfig([{ ...overrides }])
}
