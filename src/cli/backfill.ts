// `tv-api backfill`: pages exchange history into the store; resumable and idempotent. A PostgreSQL
// store is written under the ingest leader lock (writer-lock.ts).
import { isoUtc } from '../domain/time.js'
import { connectExchange } from '../exchange/connect.js'
import { backfill } from '../ingest/backfill.js'
import { maskPassword } from '../settings/parse-setting.js'
import { openConfiguredStore } from '../store-settings.js'
import { cliLog, formatDuration, progressReporter } from './cli-log.js'
import { EXIT, STORE_SETTINGS, UsageError, type Command } from './command.js'
import { checkListed, exchangeFailure } from './exchange-errors.js'
import { parseEndOption, parseIntervalList, parseSymbolList, parseTimeOption } from './options.js'
import { lockLost, lockStoreWriter, type StoreWriterLock } from './writer-lock.js'

const DAY = 86_400_000

export const backfillCommand: Command = {
  summary: 'page exchange history into the store (resumable, idempotent)',
  usage: 'tv-api backfill [--symbols BTCUSDT,ETHUSDT] [--intervals 1m] [--from 2024-01-01] [--to now] [settings]\n\n' +
    'A PostgreSQL store is written under the ingest leader lock: backfill is refused while an ingest leader writes there,\n' +
    'and ingest processes stand by while it runs, taking over when it ends.',
  options: {
    SYMBOLS: { description: 'Comma list of symbols', default: 'LIVE_SYMBOLS' },
    INTERVALS: { description: 'Comma list of intervals; 1m feeds every roll-up, others are stored as Binance serves them', default: '1m' },
    FROM: { description: 'First open time included: YYYY-MM-DD (UTC), ISO time or epoch s/ms', default: '30 days before --to' },
    TO: { description: 'Last open time included: now, YYYY-MM-DD (through the end of that day), ISO time or epoch s/ms', default: 'now' }
  },
  settings: [...STORE_SETTINGS, 'EXCHANGE', 'BINANCE_REST_URL', 'LIVE_SYMBOLS', 'LOG_LEVEL'],
  async run ({ config, options, positionals }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
    const symbols = parseSymbolList(options.get('SYMBOLS') ?? config.LIVE_SYMBOLS.join(','), 'symbols')
    const intervals = parseIntervalList(options.get('INTERVALS') ?? '1m', 'intervals')
    const now = Number.MAX_SAFE_INTEGER // "now" is the exchange's time; backfill clamps to it
    const to = parseEndOption(options.get('TO'), 'to', now, now)
    const fromText = options.get('FROM')
    if (config.STORAGE === 'memory') throw new UsageError('backfill with STORAGE=memory would be lost on exit; use --storage duck')
    const log = cliLog(config.LOG_LEVEL)
    const store = await openConfiguredStore(config)
    const shown = maskPassword(config.DATABASE_URL)
    let lock: StoreWriterLock | undefined
    let connected: Awaited<ReturnType<typeof connectExchange>>
    try {
      lock = await lockStoreWriter('backfill', store, shown)
      // Only the symbols the exchange lists: the simulator answers others with -1121 as Binance does.
      connected = await connectExchange({ kind: config.EXCHANGE, restUrl: config.BINANCE_REST_URL, wsUrl: config.BINANCE_WS_URL, simulatorSpeed: config.SIMULATOR_SPEED, symbols: config.LIVE_SYMBOLS }, log)
    } catch (err) {
      await lock?.release()
      await store.close()
      throw err
    }
    // Ctrl-C stops fetching; what was fetched is stored before the summary. A second one quits.
    const stop = new AbortController()
    const onSigint = () => {
      if (stop.signal.aborted) process.exit(EXIT.INTERRUPTED)
      stop.abort()
      // Ends a request waiting out its retries; the pages in flight are no longer awaited.
      void connected.exchange.close()
      process.stderr.write('\nstopping: storing what was fetched (Ctrl-C again to quit at once)\n')
    }
    process.on('SIGINT', onSigint)
    try {
      await checkListed(connected.exchange, symbols)
      const serverTime = await connected.exchange.serverTime()
      const end = Math.min(to, serverTime)
      const from = parseTimeOption(fromText, 'from', end - 30 * DAY, serverTime)
      if (from > end) throw new UsageError(`--from (${isoUtc(from)}) is after --to (${isoUtc(end)})`)
      process.stdout.write(`backfill ${symbols.join(',')} ${intervals.join(',')} from ${isoUtc(from)} to ${isoUtc(end)} into ${store.path}\n`)
      const progress = progressReporter()
      const report = await backfill({
        exchange: connected.exchange,
        store,
        symbols,
        intervals,
        from,
        to: end,
        log,
        signal: stop.signal,
        onProgress: (p) => {
          const rate = p.done / Math.max(0.001, p.elapsedMs / 1000)
          const pct = p.total === 0 ? 100 : Math.min(100, (100 * p.done) / p.total)
          progress(`backfill ${pct.toFixed(1)}%  ${p.done}/${p.total} bars  ${Math.round(rate)} candles/s  ETA ${formatDuration(((p.total - p.done) / rate) * 1000)}  (${p.symbol} ${p.interval})`)
        }
      })
      progress('', true)
      for (const s of report.series) {
        process.stdout.write(`  ${s.symbol} ${s.interval}: ${s.stored} stored from ${s.ranges} missing range(s)${s.rejected > 0 ? `, ${s.rejected} rejected` : ''}\n`)
      }
      const rate = Math.round(report.stored / Math.max(0.001, report.elapsedMs / 1000))
      if (report.interrupted) {
        process.stdout.write(`backfill interrupted: ${report.stored} candles stored in ${formatDuration(report.elapsedMs)}; run the same command again to resume where it stopped\n`)
        return EXIT.INTERRUPTED
      }
      process.stdout.write(`backfill done: ${report.stored} candles stored, ${report.rejected} rejected in ${formatDuration(report.elapsedMs)} (${rate} candles/s)\n`)
      return EXIT.OK
    } catch (err) {
      const lost = lock?.lostReason(err)
      if (lost !== undefined) {
        // Only what the store lacks is fetched: a second run goes on from what was stored.
        throw lockLost('backfill', shown, lost, `${lock!.written()} candles were stored`, 'run the same command again to resume where it stopped')
      }
      if (stop.signal.aborted) {
        process.stdout.write('backfill interrupted before any candle was fetched; run the same command again to start\n')
        return EXIT.INTERRUPTED
      }
      throw exchangeFailure(err) ?? err
    } finally {
      process.off('SIGINT', onSigint)
      await connected.close()
      // The lock before the store: ingest processes standing by take over as soon as the backfill ends.
      await lock?.release()
      await store.close()
    }
  }
}
