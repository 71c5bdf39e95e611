// `tv-api copy` into PostgreSQL under the ingest leader lock: refused, with the holder named and
// nothing written, while an ingest leader writes; an ingest contender standing by while a copy
// runs and leading once it ends; a copy whose lock session is cut off mid-way stopping with one
// line, then finished by the same command.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { hostname } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { EXIT } from '../../src/cli/command.js'
import { lockCopyTarget } from '../../src/cli/writer-lock.js'
import { seedStore } from '../../src/cli/seed.js'
import { INTERVALS } from '../../src/domain/intervals.js'
import { minuteCandles } from '../../src/exchange/simulator/price-model.js'
import type { CandleStore } from '../../src/store/candle-store.js'
import { DuckDbCandleStore } from '../../src/store/duckdb/duckdb-candle-store.js'
import { openPostgresStore } from '../../src/store/postgres/postgres-candle-store.js'
import { FencedError } from '../../src/store/postgres/write-fence.js'
import { copyStore } from '../../src/store/store-copy.js'
import { contender, sql } from './lock-contenders.js'
import { runEntry } from '../cli-process.js'
import { DAY, MIN, T0, tempDir } from '../helpers.js'
import { waitFor } from '../ingest/ingest-helpers.js'
import { postgresDatabase, postgresSkip } from '../services/postgres.js'

const skip = postgresSkip()
async function seeded (path: string, days: number): Promise<string> {
  const store = await DuckDbCandleStore.open({ path })
  await seedStore(store, { symbols: ['BTCUSDT', 'ETHUSDT'], from: T0, to: T0 + days * DAY })
  await store.close()
  return path
}

/** Every bar of every interval of every symbol, as the store serves them. */
async function contents (store: CandleStore): Promise<unknown[]> {
  const out: unknown[] = [store.listSymbols()]
  for (const symbol of store.listSymbols()) {
    for (const interval of INTERVALS) {
      for await (const page of store.streamCandles({ symbol, interval })) out.push(symbol, interval, ...page)
    }
  }
  return out
}

t.test('refused while an ingest leader writes: one line naming it, exit 4, nothing written', { skip }, async (t) => {
  const url = await postgresDatabase(t)
  const source = await seeded(join(tempDir(t), 'market.duckdb'), 1)
  const leader = await contender(t, url, 'ingest-host:1234')
  await waitFor(() => leader.led.length === 1, 10_000, 'the ingest process leads')
  const query = await sql(t, url)

  const r = await runEntry(['copy', '--from', source, '--to', url])
  t.equal(r.status, EXIT.STORAGE)
  t.equal(r.stderr, `tv-api: copy refused: an ingest leader (ingest-host:1234) is writing to ${url}; stop the ingest processes, or let them bring history with backfill, then run copy again\n`)
  t.equal(r.stdout, '', 'not even the header: the copy never began')
  t.same(await query('SELECT count(*)::int FROM candles'), [[0]], 'nothing written')
  t.same(await query('SELECT epoch, holder FROM ingest_leader'), [[1, 'ingest-host:1234']], 'the leader keeps its term')
  t.same(leader.lock.state, { role: 'leader', epoch: 1 })
  t.same(await leader.store.upsertBatch(minuteCandles('BTCUSDT', T0, T0 + 5 * MIN)), { rows: 5, symbols: ['BTCUSDT'] }, 'and goes on writing')

  // A password in the URL is masked in the line, as in every other.
  const withPassword = new URL(url)
  withPassword.password = 'secret'
  const masked = await runEntry(['copy', '--from', source, '--to', withPassword.toString()])
  t.equal(masked.status, EXIT.STORAGE)
  t.notMatch(masked.stderr, /secret/)
})

t.test('while a copy holds the lock an ingest contender stands by, and leads once the copy ends', { skip }, async (t) => {
  const url = await postgresDatabase(t)
  const source = await DuckDbCandleStore.open({ path: await seeded(join(tempDir(t), 'market.duckdb'), 2) })
  t.teardown(() => source.close())
  const target = await openPostgresStore({ url, poolSize: 2 })
  t.teardown(() => target.close())
  const query = await sql(t, url)
  const lock = await lockCopyTarget(target, 'the target')
  t.teardown(() => lock?.release())
  t.ok(lock, 'a PostgreSQL target is locked')
  const copyHolder = `copy ${hostname()}:${process.pid}`
  t.same(await query('SELECT epoch, holder FROM ingest_leader'), [[1, copyHolder]])

  const other = await openPostgresStore({ url, poolSize: 1 })
  t.teardown(() => other.close())
  await t.rejects(lockCopyTarget(other, 'the target'), {
    exitCode: EXIT.STORAGE,
    message: `copy refused: another copy (${hostname()}:${process.pid}) is writing to the target; let it finish, then run copy again`
  }, 'a second copy is refused too')

  // Before the second batch: an ingest process starts, tries for the lock and is refused.
  let ingest: Awaited<ReturnType<typeof contender>> | undefined
  const write = target.upsertBatch.bind(target)
  let batches = 0
  target.upsertBatch = async (candles) => {
    if (++batches === 2) {
      ingest = await contender(t, url, 'ingest-b')
      await waitFor(async () => (await query(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = 'tv-api leader ingest-b' AND state = 'idle' AND query = 'SELECT pg_try_advisory_lock($1)'"
      )).length === 1, 10_000, 'the ingest process tried for the lock')
    }
    return await write(candles)
  }
  const report = await copyStore(source, target, { batchRows: 500 })
  t.equal(report.copied, 5760)
  t.ok(batches > 2, `the copy went on writing (${batches} batches) after the ingest process began trying`)
  t.same(ingest!.led, [], 'the ingest process stood by for the whole copy')
  t.same(ingest!.lock.state, { role: 'standby' })

  await lock!.release()
  await waitFor(() => ingest!.led.length === 1, 10_000, 'the ingest process leads once the copy ends')
  t.same(ingest!.led, [2])
  t.same(await query('SELECT epoch, holder FROM ingest_leader'), [[2, 'ingest-b']])
  await t.rejects(write(minuteCandles('BTCUSDT', T0 + 3 * DAY, T0 + 3 * DAY + 5 * MIN)), FencedError, 'the released copy writes no more')
  await ingest!.store.reloadIndex()
  t.same(await contents(ingest!.store), await contents(source), 'the new leader finds every copied candle')
})

/** A copy sent `onCopying` once its first progress line shows it writing; resolves when it exits. */
async function copyRun (args: string[], onCopying: () => Promise<unknown>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  let acted: Promise<unknown> = Promise.resolve()
  child.stdout.on('data', (d) => { stdout += String(d) })
  child.stderr.on('data', (d) => {
    const first = !stderr.includes('copied ')
    stderr += String(d)
    if (first && stderr.includes('copied ')) acted = onCopying()
  })
  const [status] = await once(child, 'close') as [number | null]
  await acted
  return { status, stdout, stderr }
}

t.test('a copy whose lock session is cut off stops with one line, exit 4; the same command then finishes it', { skip }, async (t) => {
  const url = await postgresDatabase(t)
  const path = await seeded(join(tempDir(t), 'big.duckdb'), 10)
  const query = await sql(t, url)
  const args = ['copy', '--from', path, '--to', url, '--batch', '50']
  // As a server ending a cut-off client's session would.
  const cut = await copyRun(args, () => query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'tv-api leader copy %'"))
  t.equal(cut.status, EXIT.STORAGE, cut.stderr)
  const line = new RegExp(`^tv-api: copy stopped: the ingest leader lock of ${url.replace(/[.?]/g, '\\$&')} was lost \\(terminating connection due to administrator command\\), ` +
    'so the copy writes no more; ([\\d,]+) candles were copied; run the same command again to continue where it stopped$', 'm')
  t.match(cut.stderr, line)
  t.notMatch(cut.stderr, /^\s+at /m, 'no stack trace')
  const copied = Number(line.exec(cut.stderr)?.[1]?.replace(/,/g, ''))
  t.ok(copied > 0 && copied < 28_800, `stopped mid-way, after ${copied} candles`)
  t.same(await query('SELECT count(*)::int FROM candles WHERE interval = $1', ['1m']), [[copied]], 'every batch written is counted, none after the loss')

  const resumed = await runEntry(args)
  t.equal(resumed.status, 0, resumed.stderr)
  t.match(resumed.stdout, `copy done: ${(28_800 - copied).toLocaleString('en-US')} of 28,800 candles copied`)
  t.match(await query('SELECT epoch, holder FROM ingest_leader'), [[2, /^copy /]], 'the second run led under a term of its own')
  const [source, target] = [await DuckDbCandleStore.open({ path }), await openPostgresStore({ url, poolSize: 2 })]
  t.teardown(async () => {
    await target.close()
    await source.close()
  })
  t.same(await contents(target), await contents(source), 'equal, every key once')
})
