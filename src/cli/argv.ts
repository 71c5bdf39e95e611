// Splits argv into service settings, subcommand options and positionals. Accepts `--key value`,
// `--key=value`, dotted and kebab spellings; a boolean written alone means true.
import { parseBoolean } from '../domain/boolean-words.js'
import type { FlagSetting } from '../config.js'
import { ConfigError } from '../settings/parse-setting.js'
import { SETTING_SCHEMAS, settingFor, type SettingName } from '../settings/schema.js'
import type { CommandOption } from './command.js'

export interface ParsedCommandLine {
  /** Service settings by name: the raw text and the flag spelling used. */
  settings: Map<SettingName, FlagSetting>
  /** Subcommand options by upper-snake key. */
  options: Map<string, string>
  positionals: string[]
  help: boolean
  version: boolean
}

/** Flag spelling to setting name: `--http.cors.enable`, `--http-cors-enable` → HTTP_CORS_ENABLE. */
export function flagToKey (flag: string): string {
  return flag.replace(/^--?/, '').replace(/[.-]/g, '_').toUpperCase()
}

export function keyToFlag (key: string): string {
  return `--${key.toLowerCase().replace(/_/g, '-')}`
}

export interface ParseOptions {
  /** The command takes arguments: a word after a boolean flag is one, unless it is a boolean word. */
  positionals?: boolean
}

/**
 * A subcommand's own options win over a service setting of the same name (the simulator's
 * --host and --port have their own defaults).
 */
export function parseCommandLine (argv: readonly string[], commandOptions: Record<string, CommandOption> = {}, opts: ParseOptions = {}): ParsedCommandLine {
  const out: ParsedCommandLine = { settings: new Map(), options: new Map(), positionals: [], help: false, version: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '-h' || arg === '--help') { out.help = true; continue }
    if (arg === '-v' || arg === '--version') { out.version = true; continue }
    if (!arg.startsWith('--') || arg === '--') {
      if (arg !== '--') out.positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const flag = eq === -1 ? arg : arg.slice(0, eq)
    const key = flagToKey(flag)
    const option = commandOptions[key]
    const setting = option === undefined ? settingFor(key) : undefined
    if (setting === undefined && option === undefined) {
      throw new ConfigError(`unknown option ${flag} (run with --help to list the options and settings)`)
    }
    const isBool = setting !== undefined ? SETTING_SCHEMAS[setting].type === 'boolean' : option?.boolean === true
    let raw: string
    if (eq !== -1) {
      raw = arg.slice(eq + 1)
    } else {
      const next = argv[i + 1]
      const nextIsValue = next !== undefined && !next.startsWith('--')
      if (isBool) {
        // `--live` alone is true. `--live 0` works too; `--live maybe` is a bad value like
        // `--live=maybe`, except for a command taking files, where the word is the next file.
        if (nextIsValue && (opts.positionals !== true || parseBoolean(next) !== undefined)) { raw = next; i++ } else raw = 'true'
      } else {
        if (!nextIsValue) throw new ConfigError(`${flag} needs a value (e.g. ${flag}=...)`)
        raw = next
        i++
      }
    }
    if (setting !== undefined) out.settings.set(setting, { raw, flag })
    else out.options.set(key, raw)
  }
  return out
}
