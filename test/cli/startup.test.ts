// Start-up failures of the real entry point: one line on stderr naming the problem, the value and
// what to do, a documented exit code, and nothing started (no log line, no database file).
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { EXIT } from '../../src/cli/command.js'
import { DuckDbCandleStore } from '../../src/store/duckdb/duckdb-candle-store.js'
import { tempDir } from '../helpers.js'
import { runEntry, type CliRun } from '../cli-process.js'

function oneLine (t: Test, r: CliRun, code: number, pattern: RegExp): void {
  t.equal(r.status, code, `exit code ${code}`)
  const lines = r.stderr.split('\n').filter((l) => l !== '')
  t.equal(lines.length, 1, `one line on stderr: ${r.stderr}`)
  t.match(lines[0], pattern)
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace')
  t.equal(r.stdout, '', 'nothing logged: nothing was started')
}

const serve = (db: string, ...args: string[]) => runEntry(['--live=0', '--log-level', 'info', '--duckdb', db, ...args])

t.test('a port in use: exit 3, "pick another with --port or PORT", the store never opened', async (t) => {
  const dir = tempDir(t)
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const port = (server.address() as AddressInfo).port
  const r = await serve(join(dir, 'x.duckdb'), '--host', '127.0.0.1', '--port', String(port))
  oneLine(t, r, EXIT.LISTEN, new RegExp(`^tv-api: port ${port} is in use on 127\\.0\\.0\\.1; pick another with --port or PORT$`))
  t.notOk(existsSync(join(dir, 'x.duckdb')), 'no database file was created')
})

t.test('--host that is not an address of this machine (EADDRNOTAVAIL) or no host name (ENOTFOUND): exit 3', async (t) => {
  const db = join(tempDir(t), 'x.duckdb')
  // 192.0.2.0/24 is TEST-NET-1: never assigned to a real interface.
  oneLine(t, await serve(db, '--host', '192.0.2.1', '--port', '0'), EXIT.LISTEN,
    /^tv-api: cannot listen on 192\.0\.2\.1: it is not an address of this machine; give one of its addresses \(or 0\.0\.0\.0 for all\) with --host or HOST$/)
  // .invalid never resolves (RFC 6761); a resolver that does not answer at all says EAI_AGAIN.
  oneLine(t, await serve(db, '--host', 'no-such-host.invalid', '--port', '0'), EXIT.LISTEN,
    /^tv-api: cannot listen on no-such-host\.invalid: (no such host name|the name could not be resolved).* with --host or HOST$/)
})

t.test('a database folder under a file (EEXIST), under /proc (hangs in Node\'s recursive mkdir), or a folder as the file: exit 4', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'plain-file'), 'not a folder')
  oneLine(t, await serve(join(dir, 'plain-file', 'sub', 'x.duckdb'), '--port', '0'), EXIT.STORAGE,
    new RegExp(`^tv-api: cannot create the database folder ${join(dir, 'plain-file', 'sub')}: ${join(dir, 'plain-file')} is a file, not a folder; choose another location with --duckdb or DUCKDB`))
  oneLine(t, await serve('/proc/nope/x.duckdb', '--port', '0'), EXIT.STORAGE,
    /^tv-api: cannot create the database folder \/proc\/nope: \/proc does not accept new folders; choose another location with --duckdb or DUCKDB/)
  oneLine(t, await serve(dir, '--port', '0'), EXIT.STORAGE, /^tv-api: cannot use .* as the database file: it is a folder; choose another location/)
})

t.test('a database folder without write permission (EACCES): exit 4', async (t) => {
  const dir = tempDir(t)
  const locked = join(dir, 'locked')
  mkdirSync(locked)
  chmodSync(locked, 0o555)
  chmodSync(dir, 0o755)
  // root ignores permission bits, so as root the service runs as nobody for this case.
  const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}
  const r = await runEntry(['--live=0', '--port', '0', '--duckdb', join(locked, 'sub', 'x.duckdb')], asUser)
  oneLine(t, r, EXIT.STORAGE, new RegExp(`^tv-api: cannot create the database folder ${join(locked, 'sub')}: permission denied in ${locked}; choose another location with --duckdb or DUCKDB`))
  const r2 = await runEntry(['--live=0', '--port', '0', '--duckdb', join(locked, 'x.duckdb')], asUser)
  oneLine(t, r2, EXIT.STORAGE, new RegExp(`^tv-api: cannot use the database folder ${locked}: it is not writable; choose another location`))
})

t.test('the same checks stop the one-shot commands before they write anything', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'plain-file'), '')
  const r = await runEntry(['seed', '--duckdb', join(dir, 'plain-file', 'x.duckdb'), '--from', '2024-01-01', '--to', '2024-01-01'])
  oneLine(t, r, EXIT.STORAGE, /^tv-api: cannot create the database folder .*plain-file is a file, not a folder/)
})

t.test('a database file another process holds open: DuckDB\'s reason in one line, exit 4', async (t) => {
  const path = join(tempDir(t), 'held.duckdb')
  const store = await DuckDbCandleStore.open({ path })
  t.teardown(() => store.close())
  const r = await runEntry(['seed', '--duckdb', path, '--from', '2024-01-01', '--to', '2024-01-01'])
  oneLine(t, r, EXIT.STORAGE, new RegExp(`^tv-api: cannot open the database ${path}: .*lock.*; DuckDB allows one process per file: stop the one holding it .*, or choose another file with --duckdb or DUCKDB$`, 'i'))
})
