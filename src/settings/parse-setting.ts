// Turns the text of one setting (from a flag, the environment or the .env file) into the value
// the service uses, or a one-line ConfigError naming the setting, where it came from, the bad
// value and what is allowed. This is the one validation every setting goes through.
import { parseBoolean } from '../domain/boolean-words.js'
import { INTERVALS, isInterval, type Interval } from '../domain/intervals.js'
import { normalizeSymbol } from '../domain/symbols.js'
import { parseDuration } from '../domain/time.js'
import { SETTING_SCHEMAS, type SettingName, type Settings } from './schema.js'

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** TRUST_PROXY parsed: trust every proxy, none, the nearest n hops, or these addresses/CIDRs. */
export type TrustProxy = boolean | number | string[]

/** RETENTION_DAYS parsed: days kept per interval ('*' for every interval); {} keeps everything. */
export type RetentionDays = Partial<Record<Interval | '*', number>>

/** TRUST_PROXY as written: false, true, a hop count (0 is false) or a comma list of IPs/CIDRs. */
export function parseTrustProxy (text: string): TrustProxy | undefined {
  const t = text.trim()
  if (/^\d+$/.test(t)) return Number(t) === 0 ? false : Number(t)
  const b = parseBoolean(t)
  if (b !== undefined) return b
  const list = t.split(',').map((x) => x.trim()).filter((x) => x !== '')
  if (list.length === 0) return false
  return list.every((x) => /^[0-9a-f.:]+(\/\d{1,3})?$/i.test(x)) ? list : undefined
}

/** RETENTION_DAYS as written: empty or 0 (keep everything), a number of days, or 1m=90,1h=730. */
export function parseRetention (text: string): RetentionDays | undefined {
  const t = text.trim()
  if (t === '' || t === '0') return {}
  if (/^\d+$/.test(t)) return { '*': Number(t) }
  const out: RetentionDays = {}
  for (const part of t.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    const m = /^(\w+)=(\d+)$/.exec(part)
    if (m === null || !isInterval(m[1]) || Number(m[2]) < 1) return undefined
    out[m[1]] = Number(m[2])
  }
  return out
}

/** A rule for a text setting: the parsed value, or undefined when the text is not allowed. */
interface TextRule<T> {
  parse: (text: string) => T | undefined
  allowed: string
  /** The text may hold a password: error messages show it masked. */
  secret?: boolean
}

const httpUrl = /^https?:\/\/[^/\s]+(\/[^\s]*[^/\s])?$/
const wsUrl = /^wss?:\/\/[^/\s]+(\/[^\s]*[^/\s])?$/
const matching = (re: RegExp) => (text: string) => re.test(text) ? text : undefined

/** A URL with a host and one of `protocols` (e.g. 'redis:'), or '' for a setting left unset. */
const urlOf = (...protocols: string[]) => (text: string): string | undefined => {
  if (text === '') return ''
  if (/\s/.test(text) || !URL.canParse(text)) return undefined
  const url = new URL(text)
  return protocols.includes(url.protocol) && url.hostname !== '' ? text : undefined
}

/** The text with the password of a URL-like value masked: `//user:***@host`. */
export function maskPassword (text: string): string {
  return text.replace(/\/\/([^:/@\s]*):[^@/\s]*@/, '//$1:***@')
}

/** Text settings with a form of their own; each parses into what its consumers need. */
const TEXT_RULES = {
  LIVE_LOOKBACK: { parse: parseDuration, allowed: 'must be a duration such as 90m, 12h, 3d or 2w' } satisfies TextRule<number>,
  BINANCE_REST_URL: { parse: matching(httpUrl), allowed: 'must be an http(s) URL without a trailing slash' } satisfies TextRule<string>,
  BINANCE_WS_URL: { parse: matching(wsUrl), allowed: 'must be a ws(s) URL without a trailing slash' } satisfies TextRule<string>,
  DUCKDB_MEMORY_LIMIT: { parse: matching(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i), allowed: 'must be a size such as 192MB or 2GB' } satisfies TextRule<string>,
  TRUST_PROXY: { parse: parseTrustProxy, allowed: 'must be false, true, a hop count, or a comma list of IPs/CIDRs' } satisfies TextRule<TrustProxy>,
  RETENTION_DAYS: { parse: parseRetention, allowed: 'must be a number of days, or a list like 1m=90,1h=730' } satisfies TextRule<RetentionDays>,
  DATABASE_URL: { parse: urlOf('postgres:', 'postgresql:'), allowed: 'must be a postgres:// or postgresql:// URL with a host, e.g. postgres://user:password@127.0.0.1:5432/tv_api', secret: true } satisfies TextRule<string>,
  REDIS_URL: { parse: urlOf('redis:', 'rediss:'), allowed: 'must be a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379', secret: true } satisfies TextRule<string>,
  REDIS_PREFIX: { parse: matching(/^[\w:.{}-]+$/), allowed: 'must be letters, digits and _ : . - { } only, e.g. tv-api:' } satisfies TextRule<string>
}

type TextRuleName = keyof typeof TEXT_RULES

/** What a setting holds once parsed: its schema type, or what its text rule parses into. */
export type SettingValue<K extends SettingName> =
  K extends TextRuleName ? NonNullable<ReturnType<typeof TEXT_RULES[K]['parse']>> : Settings[K]

/** Validates one element of a comma list; returns the normalised element or why it is not allowed. */
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

function describeAllowed (name: SettingName): string {
  const p = SETTING_SCHEMAS[name]
  if (p.type === 'boolean') return 'must be one of 1, 0, true, false, yes, no, on, off'
  if (p.type === 'integer') return `must be an integer from ${p.minimum ?? '-'} to ${p.maximum ?? '-'}`
  if (p.enum !== undefined) return `must be one of: ${p.enum.join(', ')}`
  return 'is invalid'
}

/** Where a value came from, for error messages: a flag, the .env file, or (neither) the environment. */
export interface SettingSource { flag?: string, file?: string }

function where (name: SettingName, src: SettingSource): string {
  if (src.flag !== undefined) return `${src.flag} (${name})`
  if (src.file !== undefined) return `${name} in ${src.file}`
  return name
}

function isTextRuleName (name: SettingName): name is TextRuleName {
  return Object.hasOwn(TEXT_RULES, name)
}

/** Parses the text of one setting into its value, or throws a one-line ConfigError. */
export function parseSetting<K extends SettingName> (name: K, raw: string, src: SettingSource = {}): SettingValue<K> {
  return parseAny(name, raw, src) as SettingValue<K>
}

function parseAny (name: SettingName, raw: string, src: SettingSource): unknown {
  const p = SETTING_SCHEMAS[name]
  const rule: TextRule<unknown> | undefined = isTextRuleName(name) ? TEXT_RULES[name] : undefined
  const fail = (why: string): never => {
    const shown = rule?.secret === true ? maskPassword(raw) : raw
    throw new ConfigError(`invalid value "${shown}" for ${where(name, src)}: ${why}`)
  }
  const text = raw.trim()
  if (p.type === 'boolean') return parseBoolean(text) ?? fail(describeAllowed(name))
  if (p.type === 'integer') {
    if (!/^[+-]?\d+$/.test(text)) fail(describeAllowed(name))
    const n = Number(text)
    if (n < (p.minimum ?? -Infinity) || n > (p.maximum ?? Infinity)) fail(describeAllowed(name))
    return n
  }
  if (p.enum !== undefined) {
    const v = text.toLowerCase()
    return p.enum.includes(v) ? v : fail(describeAllowed(name))
  }
  if (p.type === 'array') {
    const rule = ITEM_RULES[name]
    const out: string[] = []
    for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      const r = rule === undefined ? { value: item } : rule(item)
      if ('error' in r) fail(r.error)
      else if (!out.includes(r.value)) out.push(r.value)
    }
    return out
  }
  if (text === '' && p.minLength !== undefined) fail('must not be empty')
  if (rule === undefined) return text
  return rule.parse(text) ?? fail(rule.allowed)
}
