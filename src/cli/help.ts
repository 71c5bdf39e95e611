// `--help` texts: a command's usage, its own options, then only the service settings it reads,
// each with its flag, environment name, default and meaning.
import { SETTING_SCHEMAS, aliasesOf, settingText, type SettingName } from '../settings/schema.js'
import { keyToFlag } from './argv.js'
import { EXIT, type Command } from './command.js'

function showDefault (name: SettingName): string {
  return settingText(SETTING_SCHEMAS[name].default)
}

type Row = [string, string, string]

function table (rows: Row[]): string[] {
  const w0 = Math.max(...rows.map((r) => r[0].length))
  const w1 = Math.max(...rows.map((r) => r[1].length), 7)
  return rows.map(([a, b, c]) => `  ${a.padEnd(w0)}  ${(b === '' ? '-' : b).padEnd(w1)}  ${c}`)
}

export function commandHelp (name: string, command: Command): string {
  const lines = [`tv-api ${name}: ${command.summary}`, '', `Usage: ${command.usage}`]
  const options = Object.entries(command.options).map(([key, o]): Row => [keyToFlag(key), o.default ?? '', o.description])
  if (options.length > 0) lines.push('', 'Options:', ...table([['option', 'default', 'meaning'], ...options]))
  if (command.settings.length > 0) {
    const rows = command.settings.map((s): Row => {
      const p = SETTING_SCHEMAS[s]
      const values = p.enum !== undefined ? ` (${p.enum.join('|')})` : ''
      return [`${keyToFlag(s)}  (env ${[s, ...aliasesOf(s)].join(', ')})`, showDefault(s), `${p.description}${values}`]
    })
    lines.push(
      '',
      'Settings (later wins: defaults < .env file < environment < flags):',
      ...table([['flag (env)', 'default', 'meaning'], ...rows]),
      '',
      'Flags take --key value or --key=value; --http.cors.enable and --http-cors-enable are the same setting.',
      'Booleans accept 1/0, true/false, yes/no, on/off.'
    )
  }
  return `${lines.join('\n')}\n`
}

export function globalHelp (commands: Record<string, Command>): string {
  const w = Math.max(...Object.keys(commands).map((n) => n.length))
  const exits = Object.entries(EXIT).map(([k, v]) => `  ${String(v).padStart(3)}  ${k.toLowerCase().replace(/_/g, ' ')}`)
  return [
    'Usage: tv-api [command] [--option value ...] [--setting value ...]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(w)}  ${c.summary}`),
    '',
    'Without a command, tv-api serves (the serve command).',
    'tv-api <command> --help lists that command\'s options and the settings it reads.',
    '',
    'Exit codes:',
    ...exits,
    ''
  ].join('\n')
}

/** The one line for a command name that does not exist. */
export function unknownCommand (name: string, commands: Record<string, Command>): string {
  return `unknown command "${name}"; the commands are ${Object.keys(commands).join(', ')} (tv-api --help describes them)`
}
