// LeaderIngest on a scripted election: an ingestor runs only between onLeader and onLost, a new
// one for each term, and health, gauges and stop say and do what a standby or a leader should.
import t from 'tap'
import { LIVE_OFF } from '../../src/ingest/ingest-status.js'
import { LeaderIngest, type Ingestor, type LeaderElection } from '../../src/ingest/leadership.js'
import { silentLog } from '../../src/log.js'

type Events = Parameters<LeaderElection['start']>[0]

function scripted () {
  const calls: string[] = []
  let events: Events | undefined
  const election: LeaderElection = {
    start: (e) => { events = e; calls.push('election start') },
    close: async () => { calls.push('election close') }
  }
  return { calls, election, events: () => events! }
}

function fakeIngestor (calls: string[], n: number): Ingestor {
  return {
    ...LIVE_OFF,
    health: () => ({ live: { enabled: true, ws_state: 1, last_msg_age_ms: 5, symbols: { BTCUSDT: { last_closed_ts: n, last_msg_age_ms: 5 } } }, issues: [] }),
    gauges: () => ({ ...LIVE_OFF.gauges(), ws_state: 1, live_candles_total: n }),
    start: () => { calls.push(`ingestor ${n} start`) },
    stop: async () => { calls.push(`ingestor ${n} stop`) },
    idle: async () => {}
  }
}

function leaderIngest () {
  const s = scripted()
  let made = 0
  const ingest = new LeaderIngest({
    election: s.election,
    createIngestor: () => fakeIngestor(s.calls, ++made),
    beforeLeading: async () => { s.calls.push('reload index') },
    log: silentLog
  })
  return { ...s, ingest }
}

t.test('a standby ingests nothing and reports standby; each term runs a fresh ingestor', async (t) => {
  const { calls, events, ingest } = leaderIngest()
  ingest.start()
  t.same(ingest.health(), { live: { enabled: true, ws_state: 0, last_msg_age_ms: null, symbols: {}, leadership: { role: 'standby', epoch: null } }, issues: [] })
  t.same(ingest.gauges(), { ...LIVE_OFF.gauges(), leader: 0, leader_epoch: null })
  t.same(ingest.liveSymbols(), [])

  events().onLeader(3)
  await ingest.idle()
  t.same(calls, ['election start', 'reload index', 'ingestor 1 start'], 'the index is reloaded before ingesting')
  t.same(ingest.health().live.leadership, { role: 'leader', epoch: 3 })
  t.equal(ingest.health().live.symbols.BTCUSDT?.last_closed_ts, 1, "the ingestor's own health")
  t.same(ingest.gauges(), { ...LIVE_OFF.gauges(), ws_state: 1, live_candles_total: 1, leader: 1, leader_epoch: 3 })

  events().onLost(new Error('lock connection gone'))
  t.same(ingest.health().live.leadership, { role: 'standby', epoch: null }, 'standby the moment the loss is known')
  await ingest.idle()
  t.same(calls.slice(3), ['ingestor 1 stop'])

  events().onLeader(5)
  await ingest.idle()
  t.same(calls.slice(4), ['reload index', 'ingestor 2 start'], 'a new ingestor for the new term')
  await ingest.stop()
  t.same(calls.slice(6), ['ingestor 2 stop', 'election close'], 'the ingestor stops (storing what it got) before the lock is freed')
  t.same(ingest.gauges().leader, 0)
})

t.test('a term lost while the index reloads never starts its ingestor', async (t) => {
  const { calls, events, ingest } = leaderIngest()
  ingest.start()
  events().onLeader(1)
  events().onLost(new Error('gone'))
  await ingest.idle()
  t.same(calls, ['election start', 'reload index'])
  t.same(ingest.health().live.leadership, { role: 'standby', epoch: null })
})

t.test('stopping while a term begins leaves no ingestor running', async (t) => {
  const { calls, events, ingest } = leaderIngest()
  ingest.start()
  events().onLeader(1)
  await ingest.stop()
  t.same(calls, ['election start', 'reload index', 'election close'])
})
