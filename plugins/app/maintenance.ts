import { hostname } from 'node:os'
import fp from 'fastify-plugin'
import { SerialQueue } from '../../src/async/serial-queue.js'
import { isoUtc } from '../../src/domain/time.js'
import { PostgresCandleStore } from '../../src/store/postgres/postgres-candle-store.js'
import { underSingleTerm } from '../../src/store/postgres/single-term.js'
import { applyRetention, type RetentionResult } from '../../src/store/retention.js'

const RETENTION_EVERY_MS = 6 * 3_600_000

/**
 * DuckDB upkeep while serving: a CHECKPOINT every CHECKPOINT_INTERVAL_MS (folds the WAL into the
 * file so restarts are quick) and, with RETENTION_DAYS, deletion of old candles at start and every
 * 6 hours, followed by a checkpoint that reclaims the emptied row groups. Among ingest processes
 * sharing a store only the leader deletes: a standby's writes would be refused anyway. A process
 * on PostgreSQL that ingests nothing (LIVE off) takes part in no election, so each retention run
 * takes the ingest leader lock with a single try and deletes under that term, or leaves it to
 * whoever holds the lock: it never deletes beside a leader's writes.
 */
export default fp(async (app) => {
  const { CHECKPOINT_INTERVAL_MS, RETENTION_DAYS: keep } = app.config
  const log = app.log.child({ module: 'maintenance' })
  const timers: NodeJS.Timeout[] = []
  const jobs = new SerialQueue()
  const run = (what: string, job: () => Promise<unknown>) => {
    jobs.run(job).catch((err: unknown) => log.error({ err }, `${what} failed`))
  }
  const checkpoint = () => run('checkpoint', () => app.store.checkpoint())
  const retain = () => run('retention', async () => {
    if (app.ingest.leadership?.role === 'standby') {
      log.debug('retention left to the ingest leader')
      return
    }
    const apply = () => applyRetention(app.store, keep, Date.now())
    let r: RetentionResult
    if (app.ingest.leadership === undefined && !app.config.LIVE && app.store instanceof PostgresCandleStore) {
      const term = await underSingleTerm(app.store, `retention ${hostname()}:${process.pid}`, apply)
      if (!term.ran) {
        log.info({ holder: term.holder }, 'retention left to the process holding the ingest leader lock')
        return
      }
      r = term.result
    } else {
      r = await apply()
    }
    log.info({ deleted: r.deleted, cutoffs: Object.fromEntries(Object.entries(r.cutoffs).map(([k, v]) => [k, isoUtc(v)])) }, 'retention applied')
    if (r.deleted > 0) await app.store.checkpoint()
  })
  app.addHook('onReady', async () => {
    if (CHECKPOINT_INTERVAL_MS > 0) timers.push(setInterval(checkpoint, CHECKPOINT_INTERVAL_MS))
    if (Object.keys(keep).length > 0) {
      retain()
      timers.push(setInterval(retain, RETENTION_EVERY_MS))
    }
    for (const t of timers) t.unref()
  })
  app.addHook('preClose', async () => {
    for (const t of timers) clearInterval(t)
    await jobs.idle()
  })
}, { name: 'maintenance', dependencies: ['config', 'store', 'ingest'] })
