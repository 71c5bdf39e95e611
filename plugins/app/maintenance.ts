import fp from 'fastify-plugin'
import { SerialQueue } from '../../src/async/serial-queue.js'
import { isoUtc } from '../../src/domain/time.js'
import { applyRetention } from '../../src/store/retention.js'

const RETENTION_EVERY_MS = 6 * 3_600_000

/**
 * DuckDB upkeep while serving: a CHECKPOINT every CHECKPOINT_INTERVAL_MS (folds the WAL into the
 * file so restarts are quick) and, with RETENTION_DAYS, deletion of old candles at start and every
 * 6 hours, followed by a checkpoint that reclaims the emptied row groups. Among ingest processes
 * sharing a store only the leader deletes: a standby's writes would be refused anyway.
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
    const r = await applyRetention(app.store, keep, Date.now())
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
