// backfill, import and seed into PostgreSQL under the ingest leader lock, through the real command
// line: refused, with the holder named and nothing written, while an ingest leader (or another
// writing command) holds it; run and the lock left free for an ingest contender once they end; a
// backfill whose lock session is cut off stopping with one line, then resumed by the same command.
import { writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { EXIT } from '../../src/cli/command.js'
import { lockStoreWriter } from '../../src/cli/writer-lock.js'
import { minuteCandles } from '../../src/exchange/simulator/price-model.js'
import { openPostgresStore } from '../../src/store/postgres/postgres-candle-store.js'
import { contender, sql } from './lock-contenders.js'
import { runEntry, type CliRun } from '../cli-process.js'
import { DAY, MIN, T0, tempDir } from '../helpers.js'
import { waitFor } from '../ingest/ingest-helpers.js'
import { postgresDatabase, postgresSkip } from '../services/postgres.js'

const skip = postgresSkip()
/** An archive file of the first `minutes` minutes of 2024-01-01, named as on data.binance.vision. */
function archive (dir: string, minutes: number): string {
  const file = join(dir, 'BTCUSDT-1m-2024-01-01.csv')
  writeFileSync(file, minuteCandles('BTCUSDT', T0, T0 + minutes * MIN).map((c) =>
    [c.ts, c.open, c.high, c.low, c.close, c.volume, c.ts + 59_999, 0, 1, 0, 0, 0].join(',')).join('\n') + '\n')
  return file
}

/** The three commands, each writing 2024-01-01's BTCUSDT minutes into the store at `url`. */
function commands (url: string, dir: string): Record<'backfill' | 'import' | 'seed', string[]> {
  const store = ['--storage', 'postgres', '--database-url', url, '--log-level', 'warn']
  return {
    backfill: ['backfill', '--exchange', 'simulator', '--symbols', 'BTCUSDT', '--from', '2024-01-01', '--to', '2024-01-01', ...store],
    import: ['import', archive(dir, 1440), ...store],
    seed: ['seed', '--symbols', 'BTCUSDT', '--from', '2024-01-01', '--to', '2024-01-01', ...store]
  }
}

const noStack = (r: CliRun) => !/^\s+at /m.test(r.stderr)

t.test('refused while an ingest leader writes: one line naming the command and the leader, exit 4, nothing written', { skip }, async (t) => {
  const url = await postgresDatabase(t)
  const leader = await contender(t, url, 'ingest-host:1234')
  await waitFor(() => leader.led.length === 1, 10_000, 'the ingest process leads')
  const query = await sql(t, url)
  for (const [name, args] of Object.entries(commands(url, tempDir(t)))) {
    const r = await runEntry(args)
    t.equal(r.status, EXIT.STORAGE, `${name}: exit 4`)
    t.equal(r.stderr, `tv-api: ${name} refused: an ingest leader (ingest-host:1234) is writing to ${url}; ` +
      `stop the ingest processes (they catch up on their own when they come back), then run ${name} again\n`, `${name}: the one line`)
    t.equal(r.stdout, '', `${name}: nothing begun`)
    t.same(await query('SELECT count(*)::int FROM candles'), [[0]], `${name}: nothing written`)
  }
  t.same(await query('SELECT epoch, holder FROM ingest_leader'), [[1, 'ingest-host:1234']], 'the leader keeps its term')
  t.same(leader.lock.state, { role: 'leader', epoch: 1 })
  t.same(await leader.store.upsertBatch(minuteCandles('BTCUSDT', T0, T0 + 5 * MIN)), { rows: 5, symbols: ['BTCUSDT'] }, 'and goes on writing')

  // The password in DATABASE_URL is masked in the line.
  const withPassword = new URL(url)
  withPassword.password = 'secret'
  const masked = await runEntry(['seed', '--storage', 'postgres', '--database-url', withPassword.toString()])
  t.equal(masked.status, EXIT.STORAGE)
  t.notMatch(masked.stderr, /secret/)
  t.match(masked.stderr, /^tv-api: seed refused: an ingest leader \(ingest-host:1234\) is writing to postgres:\/\/[^:]+:\*\*\*@/)
})

t.test('refused while another writing command holds the lock: "let it finish"', { skip }, async (t) => {
  const url = await postgresDatabase(t)
  const store = await openPostgresStore({ url, poolSize: 2 })
  t.teardown(() => store.close())
  const lock = await lockStoreWriter('seed', store, 'the store')
  t.teardown(() => lock?.release())
  const query = await sql(t, url)
  t.same(await query('SELECT holder FROM ingest_leader'), [[`seed ${hostname()}:${process.pid}`]], 'a command writes as "NAME host:pid"')
  const r = await runEntry(commands(url, tempDir(t)).backfill)
  t.equal(r.status, EXIT.STORAGE)
  t.equal(r.stderr, `tv-api: backfill refused: another seed (${hostname()}:${process.pid}) is writing to ${url}; let it finish, then run backfill again\n`)
  t.same(await query('SELECT count(*)::int FROM candles'), [[0]], 'nothing written')
})

t.test('without a contender each command writes under a term of its own and leaves the lock free', { skip }, async (t) => {
  const url = await postgresDatabase(t)
  const dir = tempDir(t)
  const runs = commands(url, dir)
  const query = await sql(t, url)
  let epoch = 0
  for (const name of ['seed', 'import', 'backfill'] as const) {
    const r = await runEntry(runs[name])
    t.equal(r.status, EXIT.OK, `${name}: ${r.stderr}`)
    t.ok(noStack(r))
    const [[e, holder]] = await query('SELECT epoch::int, holder FROM ingest_leader') as [[number, string]]
    t.ok(e > epoch, `${name} led under a new term (${e})`)
    epoch = e
    t.match(holder, new RegExp(`^${name} [^ ]+:\\d+$`), `${name}: its holder names it`)
    await waitFor(async () => (await query("SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory'"))[0]![0] === 0, 10_000, `${name}: the lock freed once it ends`)
    t.same(await query("SELECT count(*)::int FROM candles WHERE symbol = 'BTCUSDT' AND interval = '1m'"), [[1440]], `${name}: the day is stored`)
  }
  const ingest = await contender(t, url, 'ingest-after')
  await waitFor(() => ingest.led.length === 1, 10_000, 'the ingest contender leads')
  t.same(ingest.led, [epoch + 1])
})

t.test('a backfill whose lock session is cut off stops with one line, exit 4; the same command resumes it', { skip }, async (t) => {
  const url = await postgresDatabase(t)
  const query = await sql(t, url)
  const args = ['backfill', '--exchange', 'simulator', '--symbols', 'BTCUSDT', '--from', '2023-01-01', '--to', '2023-04-30',
    '--storage', 'postgres', '--database-url', url, '--log-level', 'warn']
  const bars = 120 * DAY / MIN
  let cut: Promise<unknown> | undefined
  const r = await runEntry(args, {
    onStdout: (out) => {
      // Once some batch is stored, as a server ending a cut-off client's session would.
      if (cut !== undefined || !/^backfill [\d.]+%/m.test(out)) return
      cut = (async () => {
        await waitFor(async () => ((await query('SELECT count(*)::int FROM candles'))[0]![0] as number) > 0, 30_000, 'a first batch stored')
        await query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'tv-api leader backfill %'")
      })()
    }
  })
  await cut
  t.equal(r.status, EXIT.STORAGE, r.stderr)
  const line = new RegExp(`^tv-api: backfill stopped: the ingest leader lock of ${url.replace(/[.?]/g, '\\$&')} was lost \\(terminating connection due to administrator command\\), ` +
    'so the backfill writes no more; (\\d+) candles were stored; run the same command again to resume where it stopped$', 'm')
  t.match(r.stderr, line)
  t.ok(noStack(r), 'no stack trace')
  const stored = Number(line.exec(r.stderr)?.[1])
  t.ok(stored > 0 && stored < bars, `stopped mid-way, after ${stored} candles`)
  t.same(await query("SELECT count(*)::int FROM candles WHERE interval = '1m'"), [[stored]], 'every batch written is counted, none after the loss')
  await waitFor(async () => (await query("SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory'"))[0]![0] === 0, 10_000, 'the lock freed')

  const resumed = await runEntry(args)
  t.equal(resumed.status, EXIT.OK, resumed.stderr)
  t.match(resumed.stdout, `backfill done: ${bars - stored} candles stored`, 'only what was missing is fetched')
  t.same(await query("SELECT count(*)::int FROM candles WHERE interval = '1m'"), [[bars]])
  t.match(await query('SELECT epoch, holder FROM ingest_leader'), [[2, /^backfill /]], 'the second run led under a term of its own')
})

/** Runs `args`, ending the lock session of `name` once its first write is committed. */
async function cutOnceStored (query: Awaited<ReturnType<typeof sql>>, name: string, args: string[]): Promise<CliRun> {
  let ended = false
  const run = runEntry(args).finally(() => { ended = true })
  await waitFor(async () => ended || ((await query('SELECT count(*)::int FROM candles'))[0]![0] as number) > 0, 60_000, `a first write of ${name}`)
  await query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'tv-api leader ${name} %'`)
  return await run
}

t.test('seed and import whose lock session is cut off stop with one line, exit 4; the same command writes the rest', { skip }, async (t) => {
  const dir = tempDir(t)
  const months = 6
  const files = Array.from({ length: months }, (_, m) => {
    const from = Date.UTC(2023, m, 1)
    const file = join(dir, `BTCUSDT-1m-2023-${String(m + 1).padStart(2, '0')}.csv`)
    writeFileSync(file, minuteCandles('BTCUSDT', from, Date.UTC(2023, m + 1, 1)).map((c) =>
      [c.ts, c.open, c.high, c.low, c.close, c.volume, c.ts + 59_999, 0, 1, 0, 0, 0].join(',')).join('\n') + '\n')
    return file
  })
  const cases = {
    seed: { args: ['seed', '--symbols', 'BTCUSDT', '--from', '2023-01-01', '--to', '2023-12-31'], bars: 365 * DAY / MIN, rerun: 'run the same command again to write them all (those stored already come out the same)' },
    import: { args: ['import', ...files], bars: (Date.UTC(2023, months, 1) - Date.UTC(2023, 0, 1)) / MIN, rerun: 'run the same command again to load every file (what is stored already is written again, unchanged)' }
  }
  for (const [name, c] of Object.entries(cases)) {
    const url = await postgresDatabase(t)
    // Migrated first, so the count the cut waits on has its table from the start.
    await (await openPostgresStore({ url, poolSize: 1 })).close()
    const query = await sql(t, url)
    const args = [...c.args, '--storage', 'postgres', '--database-url', url, '--log-level', 'warn']
    const r = await cutOnceStored(query, name, args)
    t.equal(r.status, EXIT.STORAGE, `${name}: ${r.stderr}`)
    const line = new RegExp(`^tv-api: ${name} stopped: the ingest leader lock of ${url.replace(/[.?]/g, '\\$&')} was lost \\((.+)\\), ` +
      `so the ${name} writes no more; (\\d+) candles were stored; ${c.rerun.replace(/[()]/g, '\\$&')}$`, 'm')
    t.match(r.stderr, line, `${name}: the one line`)
    t.ok(noStack(r), `${name}: no stack trace`)
    const stored = Number(line.exec(r.stderr)?.[2])
    t.ok(stored > 0 && stored < c.bars, `${name} stopped mid-way, after ${stored} candles`)
    t.same(await query("SELECT count(*)::int FROM candles WHERE interval = '1m'"), [[stored]], `${name}: every write is counted, none after the loss`)

    const again = await runEntry(args)
    t.equal(again.status, EXIT.OK, again.stderr)
    t.same(await query("SELECT count(*)::int FROM candles WHERE interval = '1m'"), [[c.bars]], `${name}: the second run wrote the rest`)
  }
})
