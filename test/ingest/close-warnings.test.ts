import { join } from 'node:path'
import t from 'tap'
import type { SymbolLane } from '../../src/ingest/symbol-lane.js'
import type { Log } from '../../src/log.js'
import { minuteCandles } from '../../src/exchange/simulator/price-model.js'
import { FencedError } from '../../src/store/candle-store.js'
import { DuckDbCandleStore } from '../../src/store/duckdb/duckdb-candle-store.js'
import { T0, tempDir } from '../helpers.js'
import { MIN, startHarness, stepMinutes, waitFor } from './ingest-helpers.js'

interface Line { level: string, obj: Record<string, unknown>, msg?: string }

function memoryLog (lines: Line[]): Log {
  const log = { child: () => log } as unknown as Log & Record<string, unknown>
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) {
    log[level] = (obj: unknown, msg?: string) => { lines.push({ level, obj: obj as Record<string, unknown>, msg }) }
  }
  return log
}

t.test('a final checkpoint that fails at close is logged as a warning with its error', async (t) => {
  const path = join(tempDir(t), 'market.duckdb')
  const lines: Line[] = []
  const store = await DuckDbCandleStore.open({ path, log: memoryLog(lines) })
  await store.upsertBatch(minuteCandles('BTCUSDT', T0, T0 + 10 * 60_000))
  // The checkpoint is made to fail as a full disk would.
  const writer = (store as unknown as { writer: { con: { run: (sql: string) => Promise<unknown> } } }).writer.con
  const run = writer.run.bind(writer)
  writer.run = async (sql: string) => {
    if (sql.startsWith('CHECKPOINT')) throw new Error('IO Error: could not write the checkpoint: No space left on device')
    return await run(sql)
  }
  await store.close()
  const warning = lines.find((l) => l.level === 'warn' && /final checkpoint failed/.test(l.msg ?? ''))
  t.ok(warning !== undefined, 'a warning names the failed checkpoint')
  t.ok(warning?.obj.err instanceof Error, 'with the error itself (message and stack), not only its text')
  t.match(String((warning?.obj.err as Error | undefined)?.stack), /No space left on device/)

  const reopened = await DuckDbCandleStore.open({ path, log: memoryLog([]) })
  t.teardown(() => reopened.close())
  t.equal((await reopened.getCandles({ symbol: 'BTCUSDT', interval: '1m', limit: 100 })).length, 10, 'nothing committed was lost')
})

t.test('closed candles held during a catch-up, then not storable at stop: the failure is logged with its error', async (t) => {
  const lines: Line[] = []
  const h = await startHarness(t, { symbols: ['BTCUSDT'], lookbackMs: 60 * MIN, ingestor: { log: memoryLog(lines) } })
  h.ingestor.start()
  await waitFor(() => h.messages.some((m) => m.type === 'resync_done'), 30_000, 'the first catch-up')
  await h.ingestor.idle()
  // Slow REST answers keep the catch-up after a reconnect running while the stream closes minutes,
  // which the ingestor holds until that catch-up ends.
  h.sim.faults.restDelayMs(1000)
  h.sim.faults.dropStreams()
  const { lane } = (h.ingestor as unknown as { states: Map<string, { lane: SymbolLane }> }).states.get('BTCUSDT')!
  await waitFor(async () => {
    await stepMinutes(h.clock, 1)
    return lane.heldCount > 0
  }, 30_000, 'a closed candle held during the catch-up')
  h.store.upsertBatch = async () => { throw new Error('IO Error: No space left on device') }
  await h.ingestor.stop()
  // However the held candles reach the store (released as the interrupted catch-up ends, or written
  // by stop() itself), their failed write is logged with the error, never swallowed.
  const failure = lines.find((l) => (l.level === 'warn' || l.level === 'error') && /store/.test(l.msg ?? '') && (l.obj.err as Error | undefined)?.message?.includes('No space left') === true)
  t.ok(failure !== undefined, `the failed write of held candles is logged (${JSON.stringify(lines.map((l) => l.msg))})`)
  t.ok(failure?.obj.err instanceof Error, 'with the error itself')
  t.match(String((failure?.obj.err as Error | undefined)?.stack), /No space left on device/, 'and its stack')
})

t.test('live candles refused because the term ended are a warning that says so, not a storage error', async (t) => {
  const lines: Line[] = []
  const h = await startHarness(t, { symbols: ['BTCUSDT'], lookbackMs: 60 * MIN, ingestor: { log: memoryLog(lines) } })
  h.ingestor.start()
  await waitFor(() => h.messages.some((m) => m.type === 'resync_done'), 30_000, 'the first catch-up')
  await h.ingestor.idle()
  // As a PostgreSQL store refuses every write once another process leads.
  h.store.upsertBatch = async () => { throw new FencedError('write refused: this process is not the ingest leader') }
  await waitFor(async () => {
    await stepMinutes(h.clock, 1)
    return lines.some((l) => l.level === 'warn' && /no longer leads/.test(l.msg ?? ''))
  }, 30_000, 'the refused live write')
  const refused = lines.find((l) => l.level === 'warn' && /no longer leads/.test(l.msg ?? ''))
  t.match(refused?.obj, { symbol: 'BTCUSDT', reason: /not the ingest leader/ })
  t.same(lines.filter((l) => l.level === 'error').map((l) => l.msg), [], 'nothing logged as an error')
})
