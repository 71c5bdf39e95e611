// The maintenance plugin on its own, over stand-ins for the decorators it reads: retention runs at
// start on a process that may write, and is left to the leader on an ingest standby.
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import t from 'tap'
import maintenancePlugin from '../../../plugins/app/maintenance.js'
import { LIVE_OFF, type IngestStatus, type Leadership } from '../../../src/ingest/ingest-status.js'
import type { CandleStore } from '../../../src/store/candle-store.js'
import { defaultConfig } from '../../../src/config.js'
import type { Teardown } from '../../helpers.js'

async function maintained (t: Teardown, leadership: Leadership | undefined): Promise<string[]> {
  const deletes: string[] = []
  const store = {
    deleteOlderThan: async (interval: string) => { deletes.push(interval); return 0 },
    checkpoint: async () => {}
  } as unknown as CandleStore
  const ingest: IngestStatus = { ...LIVE_OFF, leadership }
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fp(async (a) => { a.decorate('config', defaultConfig({ RETENTION_DAYS: '1m=90', CHECKPOINT_INTERVAL_MS: 0 })) }, { name: 'config' }))
  await app.register(fp(async (a) => { a.decorate('store', store) }, { name: 'store' }))
  await app.register(fp(async (a) => { a.decorate('ingest', ingest) }, { name: 'ingest' }))
  await app.register(maintenancePlugin)
  await app.ready()
  await app.close()
  return deletes
}

t.test('retention runs at start where the process may write', async (t) => {
  t.same(await maintained(t, undefined), ['1m'], 'without leader election')
  t.same(await maintained(t, { role: 'leader', epoch: 3 }), ['1m'], 'on the ingest leader')
})

t.test('an ingest standby leaves retention to the leader', async (t) => {
  t.same(await maintained(t, { role: 'standby', epoch: null }), [])
})
