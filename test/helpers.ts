// Shared test setup: configs that never touch the network or the default data file, apps that
// always close, and stores seeded from the simulator's deterministic price model.
import { EventEmitter, once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildApp, type BuildOptions } from '../src/app.js'
import { defaultConfig, type Config } from '../src/config.js'
import type { Settings } from '../src/settings/schema.js'
import { seedStore } from '../src/cli/seed.js'
import type { CandleQuery } from '../src/store/candle-store.js'
import { DuckDbCandleStore } from '../src/store/duckdb/duckdb-candle-store.js'
import { MEMORY_PATH } from '../src/store/duckdb/database.js'

/** The smallest surface of a tap Test these helpers need. */
export interface Teardown {
  teardown (fn: () => unknown): void
}

export const DAY = 86_400_000
export const MIN = 60_000
/** 2024-01-01T00:00:00Z, a Monday. */
export const T0 = Date.UTC(2024, 0, 1)

export function testConfig (overrides: Partial<Settings> = {}): Config {
  // No overload shedding (MAX_EVENT_LOOP_DELAY_MS 0): on a busy CI machine a test process can lag
  // a second, and a 503 there is not what the test is about; the overload test sets its own limit.
  return defaultConfig({ LIVE: false, STORAGE: 'memory', HOST: '127.0.0.1', PORT: 0, LOG_LEVEL: 'error', MAX_EVENT_LOOP_DELAY_MS: 0, ...overrides })
}

export async function testApp (t: Teardown, overrides: Partial<Settings> = {}, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = await buildApp(testConfig(overrides), { logger: false, ...opts })
  t.teardown(() => app.close())
  await app.ready()
  return app
}

export function tempDir (t: Teardown, prefix = 'tv-api-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export async function memoryStore (t: Teardown): Promise<DuckDbCandleStore> {
  const store = await DuckDbCandleStore.open({ path: MEMORY_PATH, threads: 2 })
  t.teardown(() => store.close())
  return store
}

/** An in-memory store holding `days` of 1m candles from T0 for each symbol. */
export async function seededStore (t: Teardown, symbols = ['BTCUSDT'], days = 10, from = T0): Promise<DuckDbCandleStore> {
  const store = await memoryStore(t)
  await seedStore(store, { symbols, from, to: from + days * DAY })
  return store
}

/**
 * A seeded store whose candle reads only end when their signal aborts, like a query too slow to
 * finish; `started` records each read and `events` emits 'started' for it. Query deadlines run on
 * unref'd timers, so with inject() and no listening server nothing else would hold the test
 * process open while a read waits for its deadline: a timer does, until teardown.
 */
export async function stalledStore (t: Teardown) {
  const store = await seededStore(t, ['BTCUSDT'], 1)
  const started: Array<{ query: CandleQuery, signal: AbortSignal }> = []
  const events = new EventEmitter()
  store.getCandles = async (query, signal) => {
    if (signal === undefined) throw new Error('a candle read without a signal')
    started.push({ query, signal })
    events.emit('started')
    await once(signal, 'abort')
    throw signal.reason
  }
  const alive = setInterval(() => {}, 1000)
  t.teardown(() => clearInterval(alive))
  return { store, started, events }
}

/** Points TMPDIR at a fresh folder for one test (what DuckDB and the exports write temp files to). */
export function tmpdirEnv (t: Teardown): string {
  const dir = tempDir(t)
  const previous = process.env.TMPDIR
  process.env.TMPDIR = dir
  t.teardown(() => {
    if (previous === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = previous
  })
  return dir
}

export function json<T = any> (res: { body: string }): T {
  return JSON.parse(res.body) as T
}
