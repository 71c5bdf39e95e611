// `tv-api copy` as a process: a DuckDB file into another and through PostgreSQL back, the progress
// line and the summary, Ctrl-C then a resumed run, and one line with its exit code for a store that
// cannot be opened (a DuckDB target another process holds among them). A PostgreSQL target's lock
// is copy-lock.test.ts's.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { seedStore } from '../../src/cli/seed.js'
import { EXIT } from '../../src/cli/command.js'
import { INTERVALS } from '../../src/domain/intervals.js'
import type { CandleStore } from '../../src/store/candle-store.js'
import { DuckDbCandleStore } from '../../src/store/duckdb/duckdb-candle-store.js'
import { closedPort, runEntry } from '../cli-process.js'
import { DAY, T0, tempDir } from '../helpers.js'
import { postgresDatabase, postgresSkip } from '../services/postgres.js'

async function seeded (path: string, days: number): Promise<void> {
  const store = await DuckDbCandleStore.open({ path })
  await seedStore(store, { symbols: ['BTCUSDT', 'ETHUSDT'], from: T0, to: T0 + days * DAY })
  await store.close()
}

/** Every bar of every interval of every symbol, as the store serves them. */
async function contents (path: string): Promise<unknown[]> {
  const store: CandleStore = await DuckDbCandleStore.open({ path })
  try {
    const out: unknown[] = [store.listSymbols()]
    for (const symbol of store.listSymbols()) {
      for (const interval of INTERVALS) {
        for await (const page of store.streamCandles({ symbol, interval })) out.push(symbol, interval, ...page)
      }
    }
    return out
  } finally {
    await store.close()
  }
}

/** A run sent SIGINT once its first progress line shows it copying; resolves when it exits. */
async function interruptedRun (args: string[]): Promise<{ status: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => { stdout += String(d) })
  child.stderr.on('data', (d) => {
    const first = !stderr.includes('copied ')
    stderr += String(d)
    if (first && stderr.includes('copied ')) child.kill('SIGINT')
  })
  const [status] = await once(child, 'close') as [number | null]
  return { status, stdout, stderr }
}

t.test('tv-api copy', async (t) => {
  const dir = tempDir(t)
  const source = join(dir, 'market.duckdb')
  await seeded(source, 2)
  const expected = await contents(source)

  t.test('DuckDB to DuckDB: progress on stderr, a summary on stdout; a second run copies nothing', async (t) => {
    const target = join(dir, 'nested', 'copy.duckdb')
    const r = await runEntry(['copy', '--from', source, '--to', target])
    t.equal(r.status, 0, r.stderr)
    t.match(r.stderr, /^copied 2,880 \/ 5,760 candles \(\d+(k)?\/s\), BTCUSDT 1m$/m, 'a progress line')
    t.match(r.stderr, /^copied 5,760 \/ 5,760 candles \(\d+(k)?\/s\), ETHUSDT 1m\n$/m, 'the last state at the end')
    t.match(r.stdout, `copy from ${source} to ${target}\n`)
    t.match(r.stdout, /^ {2}BTCUSDT 1m: 2,880 candles, 2,880 copied, 0 already there$/m)
    t.match(r.stdout, /^copy done: 5,760 of 5,760 candles copied in \d+s \(\d+k?\/s\); 0 were in the target already$/m)
    t.same(await contents(target), expected)
    const again = await runEntry(['copy', '--from', source, '--to', target])
    t.equal(again.status, 0, again.stderr)
    t.match(again.stdout, /copy done: 0 of 5,760 candles copied .*; 5,760 were in the target already/)
  })

  t.test('Ctrl-C stops between batches (exit 130); the same command then finishes the copy', async (t) => {
    const big = join(dir, 'big.duckdb')
    await seeded(big, 10)
    const target = join(dir, 'resumed.duckdb')
    const args = ['copy', '--from', big, '--to', target, '--batch', '50']
    const stopped = await interruptedRun(args)
    t.equal(stopped.status, EXIT.INTERRUPTED, stopped.stderr)
    const copied = Number(/copy interrupted: ([\d,]+) of 28,800 candles copied .*; run the same command again/.exec(stopped.stdout)?.[1]?.replace(/,/g, ''))
    t.ok(copied > 0 && copied < 28_800, `stopped mid-way, after ${copied} candles`)
    const resumed = await runEntry(args)
    t.equal(resumed.status, 0, resumed.stderr)
    t.match(resumed.stdout, `copy done: ${(28_800 - copied).toLocaleString('en-US')} of 28,800 candles copied`)
    t.same(await contents(target), await contents(big), 'equal, every key once')
  })

  t.test('a store that cannot be opened: one line, exit 4; a bad option: exit 2', async (t) => {
    const missing = join(dir, 'absent.duckdb')
    const absent = await runEntry(['copy', '--from', missing, '--to', join(dir, 'never.duckdb')])
    t.equal(absent.status, EXIT.STORAGE)
    t.equal(absent.stderr, `tv-api: no database at ${missing}; --from names an existing DuckDB file or a postgres:// URL\n`)
    t.notOk(existsSync(join(dir, 'never.duckdb')), 'no target created')
    const port = await closedPort()
    const down = await runEntry(['copy', '--from', source, '--to', `postgres://tv:secret@127.0.0.1:${port}/tv`])
    t.equal(down.status, EXIT.STORAGE)
    t.match(down.stderr, new RegExp(`^tv-api: cannot open the PostgreSQL store at postgres://tv:\\*\\*\\*@127\\.0\\.0\\.1:${port}/tv: .*ECONNREFUSED.*; check that PostgreSQL runs, is reachable from here and accepts this user and database, or fix the URL\\n$`))
    t.notMatch(down.stderr, /secret/, 'the password is not shown')
    const noTarget = await runEntry(['copy', '--from', source])
    t.equal(noTarget.status, EXIT.USAGE)
    t.match(noTarget.stderr, /^tv-api: copy needs --to \(a DuckDB file such as data\/market\.duckdb, or postgres:\/\/user@host\/db\)\n$/)
    const same = await runEntry(['copy', '--from', source, '--to', source])
    t.equal(same.status, EXIT.USAGE)
    t.equal(same.stderr, 'tv-api: --from and --to name the same store\n')
    const batch = await runEntry(['copy', '--from', source, '--to', join(dir, 'x.duckdb'), '--batch', '0'])
    t.equal(batch.status, EXIT.USAGE)
    t.match(batch.stderr, /invalid value "0" for --batch/)
  })

  t.test('a DuckDB target another process holds open (a running service): DuckDB\'s lock refuses the copy, exit 4', async (t) => {
    const held = join(dir, 'held.duckdb')
    const service = await DuckDbCandleStore.open({ path: held })
    t.teardown(() => service.close())
    const r = await runEntry(['copy', '--from', source, '--to', held])
    t.equal(r.status, EXIT.STORAGE)
    t.match(r.stderr, new RegExp(`^tv-api: cannot open the database ${held}: .*lock.*; DuckDB allows one process per file: stop the one holding it .*\\n$`, 'i'))
    t.equal(r.stdout, '', 'the copy never began')
    t.same(service.listSymbols(), [], 'nothing written')
  })

  t.test('DuckDB to PostgreSQL and back', { skip: postgresSkip() }, async (t) => {
    const url = await postgresDatabase(t)
    const up = await runEntry(['copy', '--from', source, '--to', url])
    t.equal(up.status, 0, up.stderr)
    t.match(up.stdout, /copy done: 5,760 of 5,760 candles copied/)
    const back = join(dir, 'back.duckdb')
    const down = await runEntry(['copy', '--from', url, '--to', back])
    t.equal(down.status, 0, down.stderr)
    t.match(down.stdout, /copy done: 5,760 of 5,760 candles copied/)
    t.same(await contents(back), expected)
  })
})
