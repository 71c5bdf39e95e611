// The service's configuration: every setting parsed once into the value its consumers use, from
// four sources, later wins: built-in defaults < .env file < environment < command-line flags.
//
// Each source is parsed strictly on its own, so an error names where the bad value came from;
// the parsed layers are then merged and the rules between settings checked.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseEnv } from 'node:util'
import { DAY_MS } from './domain/intervals.js'
import { ROLE_PARTS, sharesState } from './roles.js'
import { ConfigError, parseSetting, type SettingSource, type SettingValue } from './settings/parse-setting.js'
import { SETTING_NAMES, SETTING_SCHEMAS, settingFor, settingText, type SettingName, type Settings } from './settings/schema.js'

/**
 * Every setting under its own name, parsed: LIVE_LOOKBACK in milliseconds, RETENTION_DAYS as days
 * per interval, TRUST_PROXY as Fastify's proxy trust, LIVE_INTERVALS as intervals.
 */
export type Config = { readonly [K in SettingName]: SettingValue<K> }

/** A service setting given on the command line: its text and the flag spelling used. */
export interface FlagSetting { raw: string, flag: string }

export interface LoadConfigOptions {
  /** Settings from the command line, as the argv parser split them. */
  flags?: ReadonlyMap<SettingName, FlagSetting>
  env?: NodeJS.ProcessEnv
  /** The .env file to read when present; defaults to `.env` in the working directory. */
  dotenvPath?: string | false
}

/** A parsed value and the text it was parsed from (error messages quote the text). */
interface Entry { value: unknown, text: string }
type Layer = Map<SettingName, Entry>

function entry (name: SettingName, raw: string, src: SettingSource): Entry {
  return { value: parseSetting(name, raw, src), text: raw.trim() }
}

/** Programmatic values go through the same parser as text, so they obey the same rules. */
function valueLayer (values: Partial<Settings>): Layer {
  const layer: Layer = new Map()
  for (const [name, value] of Object.entries(values) as Array<[SettingName, unknown]>) {
    if (value !== undefined) layer.set(name, entry(name, settingText(value), {}))
  }
  return layer
}

function textLayer (entries: Iterable<[string, string | undefined]>, src: SettingSource): Layer {
  const layer: Layer = new Map()
  for (const [key, raw] of entries) {
    const name = settingFor(key)
    if (name === undefined || raw === undefined) continue
    // An alias never overrides the real name given in the same source.
    if (name !== key && layer.has(name)) continue
    layer.set(name, entry(name, raw, src))
  }
  return layer
}

function dotenvLayer (path: string): Layer | undefined {
  let text: string
  try {
    text = readFileSync(resolve(path), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`)
  }
  return textLayer(Object.entries(parseEnv(text)), { file: path })
}

const DEFAULTS = valueLayer(Object.fromEntries(SETTING_NAMES.map((name) => [name, SETTING_SCHEMAS[name].default])))

/** Merges the layers over the defaults and checks the rules that span settings. */
function resolveConfig (layers: Array<Layer | undefined>): Config {
  const merged = new Map(DEFAULTS)
  for (const layer of layers) for (const [name, e] of layer ?? []) merged.set(name, e)
  const config = Object.freeze(Object.fromEntries([...merged].map(([name, e]) => [name, e.value]))) as Config
  const text = (name: SettingName) => merged.get(name)?.text ?? ''

  if (config.HTTP_DEFAULT_LIMIT > config.HTTP_MAX_LIMIT) {
    throw new ConfigError(`invalid value ${config.HTTP_DEFAULT_LIMIT} for HTTP_DEFAULT_LIMIT: must not exceed HTTP_MAX_LIMIT (${config.HTTP_MAX_LIMIT})`)
  }
  checkSharing(config, text)
  // An api process never ingests, whatever LIVE says.
  const ingests = config.LIVE && ROLE_PARTS[config.ROLE].ingest
  if (ingests && config.LIVE_SYMBOLS.length === 0) {
    throw new ConfigError('invalid value "" for LIVE_SYMBOLS: list at least one symbol when LIVE is on (or pass --live=0)')
  }
  const keep1m = config.RETENTION_DAYS['1m'] ?? config.RETENTION_DAYS['*']
  if (ingests && keep1m !== undefined && keep1m * DAY_MS <= config.LIVE_LOOKBACK) {
    throw new ConfigError(`invalid value "${text('RETENTION_DAYS')}" for RETENTION_DAYS: 1m candles must be kept longer than LIVE_LOOKBACK (${text('LIVE_LOOKBACK')}), or every catch-up would fetch them again`)
  }
  if (config.HTTP_CORS_ENABLE && config.HTTP_CORS_ORIGIN.length === 0) {
    throw new ConfigError('invalid value "" for HTTP_CORS_ORIGIN: list the allowed origins when HTTP_CORS_ENABLE is on')
  }
  return config
}

/** The store and bus settings: each engine has its URL, and a split role shares what it must. */
function checkSharing (config: Config, text: (name: SettingName) => string): void {
  if (config.STORAGE === 'postgres' && config.DATABASE_URL === '') {
    throw new ConfigError('invalid value "" for DATABASE_URL: set the PostgreSQL URL when STORAGE=postgres, e.g. postgres://user:password@127.0.0.1:5432/tv_api')
  }
  if (config.BUS === 'redis' && config.REDIS_URL === '') {
    throw new ConfigError('invalid value "" for REDIS_URL: set the Redis URL when BUS=redis, e.g. redis://127.0.0.1:6379')
  }
  if (!sharesState(config.ROLE)) return
  const role = `invalid value "${text('ROLE')}" for ROLE: ROLE=${config.ROLE} runs beside other processes`
  if (config.STORAGE !== 'postgres') {
    throw new ConfigError(`${role} and needs a store they share, which STORAGE=${config.STORAGE} is not; use STORAGE=postgres with DATABASE_URL (or ROLE=all)`)
  }
  if (config.BUS !== 'redis') {
    throw new ConfigError(`${role} and needs a live bus they share, which BUS=${config.BUS} is not; use BUS=redis with REDIS_URL (or ROLE=all)`)
  }
}

export function loadConfig (opts: LoadConfigOptions = {}): Config {
  const dotenvPath = opts.dotenvPath ?? '.env'
  const flags: Layer = new Map()
  for (const [name, { raw, flag }] of opts.flags ?? []) flags.set(name, entry(name, raw, { flag }))
  return resolveConfig([
    dotenvPath === false ? undefined : dotenvLayer(dotenvPath),
    textLayer(Object.entries(opts.env ?? process.env), {}),
    flags
  ])
}

/** The configuration with every default, for tests and tools that build the app directly. */
export function defaultConfig (overrides: Partial<Settings> = {}): Config {
  return resolveConfig([valueLayer(overrides)])
}
