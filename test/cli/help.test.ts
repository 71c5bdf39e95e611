// The command line explains itself: each command's --help shows its own options and only the
// settings it reads, an unknown command lists the commands, and a bad value reads the same
// whichever way the flag is written.
import t from 'tap'
import { SETTING_NAMES } from '../../src/settings/schema.js'
import { EXIT } from '../../src/cli/command.js'
import { runEntry } from '../cli-process.js'

const COMMANDS = ['serve', 'backfill', 'import', 'export', 'copy', 'seed', 'backup', 'restore', 'simulator']

t.test('tv-api --help lists the commands and the exit codes', async (t) => {
  const r = await runEntry(['--help'])
  t.equal(r.status, 0)
  for (const c of COMMANDS) t.match(r.stdout, new RegExp(`^  ${c}\\s+\\S`, 'm'), c)
  for (const [name, code] of Object.entries(EXIT)) t.match(r.stdout, new RegExp(`^\\s+${code}  ${name.toLowerCase().replace(/_/g, ' ')}$`, 'm'), `exit code ${code}`)
  t.notMatch(r.stdout, /WS_MAX_CLIENTS/, 'not the service settings')
})

t.test('serve --help is the service\'s own help with every setting', async (t) => {
  const r = await runEntry(['serve', '--help'])
  t.equal(r.status, 0)
  t.match(r.stdout, /^tv-api serve: serve the REST API/)
  for (const name of SETTING_NAMES) t.match(r.stdout, new RegExp(`\\(env ${name}[,)]`), name)
})

t.test('each one-shot command lists its options and only the settings it reads', async (t) => {
  const expect: Record<string, { options: string[], settings: string[] }> = {
    backfill: { options: ['--symbols', '--intervals', '--from', '--to'], settings: ['DUCKDB', 'EXCHANGE', 'BINANCE_REST_URL', 'LIVE_SYMBOLS'] },
    import: { options: [], settings: ['DUCKDB', 'THREADS', 'DUCKDB_MEMORY_LIMIT'] },
    seed: { options: ['--symbols', '--from', '--to', '--seed'], settings: ['DUCKDB', 'THREADS'] },
    backup: { options: ['--out'], settings: ['DUCKDB', 'STORAGE'] },
    restore: { options: ['--from'], settings: ['DUCKDB'] },
    copy: { options: ['--from', '--to', '--batch'], settings: ['THREADS', 'DUCKDB_MEMORY_LIMIT'] }
  }
  for (const [command, { options, settings }] of Object.entries(expect)) {
    const r = await runEntry([command, '--help'])
    t.equal(r.status, 0, command)
    t.match(r.stdout, new RegExp(`^tv-api ${command}: `), `${command}: its own title`)
    for (const o of options) t.match(r.stdout, new RegExp(`^  ${o}\\s`, 'm'), `${command} ${o}`)
    for (const s of settings) t.match(r.stdout, new RegExp(`\\(env ${s}[,)]`), `${command} ${s}`)
    for (const s of ['HTTP_CORS_ENABLE', 'WS_SEND_QUEUE_MAX_MSGS', 'RATE_LIMIT_MAX', 'PORT']) t.notMatch(r.stdout, new RegExp(`env ${s}\\b`), `${command} does not list ${s}`)
  }
})

t.test('simulator --help shows its real defaults, 127.0.0.1:9100', async (t) => {
  const r = await runEntry(['simulator', '--help'])
  t.equal(r.status, 0)
  t.match(r.stdout, /^ {2}--host\s+127\.0\.0\.1\s/m)
  t.match(r.stdout, /^ {2}--port\s+9100\s/m)
  t.notMatch(r.stdout, /0\.0\.0\.0|8080|\(env /, 'no service setting')
})

t.test('an unknown command lists the commands (exit 2)', async (t) => {
  const r = await runEntry(['frobnicate'])
  t.equal(r.status, EXIT.USAGE)
  t.equal(r.stderr, `tv-api: unknown command "frobnicate"; the commands are ${COMMANDS.join(', ')} (tv-api --help describes them)\n`)
  t.equal(r.stdout, '')
})

t.test('--live maybe is the same bad value as --live=maybe', async (t) => {
  const spaced = await runEntry(['--live', 'maybe', '--port', '0'])
  const joined = await runEntry(['--live=maybe', '--port', '0'])
  t.equal(spaced.status, EXIT.USAGE)
  t.equal(joined.status, EXIT.USAGE)
  t.equal(spaced.stderr, 'tv-api: invalid value "maybe" for --live (LIVE): must be one of 1, 0, true, false, yes, no, on, off\n')
  t.equal(spaced.stderr, joined.stderr)
})
