// `tv-api seed`: fills the store with the simulator's deterministic 1m candles, so the API can be
// tried and tested without any exchange. A PostgreSQL store is written under the ingest leader
// lock (writer-lock.ts).
import { MINUTE_MS } from '../domain/intervals.js'
import { isoUtc } from '../domain/time.js'
import { minuteCandles } from '../exchange/simulator/price-model.js'
import type { CandleStore } from '../store/candle-store.js'
import { maskPassword } from '../settings/parse-setting.js'
import { openConfiguredStore } from '../store-settings.js'
import { STORE_SETTINGS, UsageError, type Command } from './command.js'
import { lockLost, lockStoreWriter, type StoreWriterLock } from './writer-lock.js'
import { parseEndOption, parseSymbolList, parseTimeOption } from './options.js'

const DAY = 86_400_000
const CHUNK_MINUTES = 50_000

export interface SeedOptions {
  symbols: string[]
  from: number
  to: number
  seed?: number
}

/** Writes closed 1m candles with open time in [from, to) for each symbol; returns rows written. */
export async function seedStore (store: CandleStore, opts: SeedOptions): Promise<number> {
  let rows = 0
  for (const symbol of opts.symbols) {
    for (let t = opts.from; t < opts.to; t += CHUNK_MINUTES * MINUTE_MS) {
      const end = Math.min(opts.to, t + CHUNK_MINUTES * MINUTE_MS)
      rows += (await store.upsertBatch(minuteCandles(symbol, t, end, opts.seed ?? 1))).rows
    }
  }
  return rows
}

export const seedCommand: Command = {
  summary: 'write deterministic synthetic 1m candles into the store',
  usage: 'tv-api seed [--symbols BTCUSDT,ETHUSDT] [--from 2024-01-01] [--to 2024-01-10] [--seed 1] [settings]\n\n' +
    'A PostgreSQL store is written under the ingest leader lock: seed is refused while an ingest leader writes there,\n' +
    'and ingest processes stand by while it runs, taking over when it ends.',
  options: {
    SYMBOLS: { description: 'Comma list of symbols', default: 'BTCUSDT,ETHUSDT' },
    FROM: { description: 'First open time included: YYYY-MM-DD (UTC), ISO time or epoch s/ms', default: '10 days before --to' },
    TO: { description: 'Last open time included: now, YYYY-MM-DD (through the end of that day), ISO time or epoch s/ms; at most the last closed minute', default: 'now' },
    SEED: { description: 'Price walk seed', default: '1' }
  },
  settings: STORE_SETTINGS,
  async run ({ config, options, positionals }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
    const now = Date.now()
    // Only closed candles, as a backfill stores: the minute in progress is not seeded.
    const lastClosed = Math.floor(now / MINUTE_MS) * MINUTE_MS - MINUTE_MS
    const symbols = parseSymbolList(options.get('SYMBOLS') ?? 'BTCUSDT,ETHUSDT', 'symbols')
    const last = Math.floor(Math.min(lastClosed, parseEndOption(options.get('TO'), 'to', lastClosed, now)) / MINUTE_MS) * MINUTE_MS
    const from = parseTimeOption(options.get('FROM'), 'from', last + MINUTE_MS - 10 * DAY, now)
    const seedText = options.get('SEED') ?? '1'
    if (!/^\d+$/.test(seedText)) throw new UsageError(`invalid value "${seedText}" for --seed: must be a non-negative integer`)
    if (from > last) throw new UsageError(`--from (${isoUtc(from)}) is after --to (${isoUtc(last)})`)
    if (config.STORAGE === 'memory') throw new UsageError('seed with STORAGE=memory would be lost on exit; use --storage duck')
    const store = await openConfiguredStore(config)
    const shown = maskPassword(config.DATABASE_URL)
    let lock: StoreWriterLock | undefined
    try {
      lock = await lockStoreWriter('seed', store, shown)
      const started = Date.now()
      let rows: number
      try {
        rows = await seedStore(store, { symbols, from, to: last + MINUTE_MS, seed: Number(seedText) })
      } catch (err) {
        const lost = lock?.lostReason(err)
        if (lost === undefined) throw err
        // The candles are the same on every run: a second one writes what is stored again, unchanged.
        throw lockLost('seed', shown, lost, `${lock!.written()} candles were stored`, 'run the same command again to write them all (those stored already come out the same)')
      }
      process.stdout.write(`seeded ${rows} candles for ${symbols.join(', ')} from ${isoUtc(from)} through ${isoUtc(last)} into ${store.path} in ${Date.now() - started} ms\n`)
    } finally {
      // The lock first: ingest processes standing by take over as soon as the seed ends.
      await lock?.release()
      await store.close()
    }
    return 0
  }
}
