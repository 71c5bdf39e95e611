// Failover of live ingestion: two `ROLE=ingest` processes on one PostgreSQL store and Redis bus,
// streaming from the simulator (servers/sim-server.ts). The leader is SIGKILLed and a minute of
// the simulator closes at once, while nobody leads; the figures are the time from the kill to the
// standby reporting itself leader (/stats) and to the first candle it stores (polled in the
// database: with the old leader dead, any new row is the new leader's). The killed process is
// started again as the next standby, and so on `--kills` times.
// Knobs: --kills 3  --url postgres://... --redis-url redis://... (else throwaway servers)
import { join } from 'node:path'
import pg from 'pg'
import { Knobs } from './lib/args.js'
import { serviceEntry } from './lib/build.js'
import { runBenchmark } from './lib/bench-main.js'
import { log } from './lib/log.js'
import { BENCH_DIR } from './lib/paths.js'
import { startNode, type ManagedChild } from './lib/processes.js'
import { startService, stats, until, type Service } from './lib/service.js'
import { benchDatabase, benchRedis } from './lib/shared-services.js'
import { median } from './lib/stats.js'

const MINUTE = 60_000
const SYMBOLS = ['BTCUSDT', 'ETHUSDT']

async function clock (sim: ManagedChild, advanceMs = 0): Promise<number> {
  return (await sim.request<{ now: number }>('clock', { advanceMs })).now
}

/** Open time of the newest stored 1m candle once every symbol has it, else undefined. */
async function newest (db: pg.Client): Promise<number | undefined> {
  const { rows } = await db.query<{ ts: number }>("SELECT max(ts)::float8 AS ts FROM candles WHERE interval = '1m' GROUP BY symbol")
  return rows.length === SYMBOLS.length && rows.every((r) => r.ts === rows[0]!.ts) ? rows[0]!.ts : undefined
}

async function leads (s: Service): Promise<boolean> {
  return (await stats(s.origin).catch(() => undefined))?.leader === 1
}

runBenchmark('failover', async () => {
  const knobs = Knobs.fromArgv()
  const entry = serviceEntry(knobs.string('runtime', 'dist'))
  const kills = knobs.number('kills', 3)
  const database = await benchDatabase(knobs, 'tv_bench_failover')
  const redis = await benchRedis(knobs)
  const sim = startNode('sim-server', join(BENCH_DIR, 'servers', 'sim-server.ts'), ['--symbols', SYMBOLS.join(','), '--boundary-in-ms', '55000'], { ipc: true })
  const leadMs: number[] = []
  const storeMs: number[] = []
  const db = new pg.Client({ connectionString: database.url })
  try {
    const urls = await sim.waitForMessage((m): m is { ev: 'ready', restUrl: string, wsUrl: string } => (m as { ev?: string }).ev === 'ready', 60_000)
    const start = async (name: string): Promise<Service> => await startService({
      entry,
      threads: 1,
      name,
      storage: ['--role', 'ingest', '--storage', 'postgres', '--database-url', database.url, '--bus', 'redis', '--redis-url', redis.url, '--redis-prefix', redis.prefix],
      args: ['--live=1', '--binance-rest-url', urls.restUrl, '--binance-ws-url', urls.wsUrl, '--live-symbols', SYMBOLS.join(','), '--live-lookback', '2h']
    })
    let leader = await start('ingest-a')
    await until('ingest-a to lead', async () => await leads(leader) ? true : undefined, 60_000, 20)
    await db.connect()
    let standby = await start('ingest-b')
    for (let k = 1; k <= kills; k++) {
      const standbyName = k % 2 === 1 ? 'ingest-b' : 'ingest-a'
      // Steady state first: the leader has stored the last closed minute, the standby stands by.
      const closed = Math.floor(await clock(sim) / MINUTE) * MINUTE - MINUTE
      await until('the leader to store the last closed minute', async () => (await newest(db) ?? 0) >= closed ? true : undefined, 60_000, 20)
      await until(`${standbyName} to stand by`, async () => (await stats(standby.origin).catch(() => undefined))?.leader === 0 ? true : undefined, 60_000, 20)
      const before = (await newest(db))!

      leader.child.proc.kill('SIGKILL')
      const killed = performance.now()
      await leader.child.exited
      // A minute closes while nobody leads: the new leader's catch-up has to fetch it.
      await clock(sim, MINUTE)
      let led = Number.NaN
      await until('a new leader to store a candle', async () => {
        if (Number.isNaN(led) && await leads(standby)) led = performance.now() - killed
        return (await newest(db) ?? 0) > before ? true : undefined
      }, 60_000, 10)
      const stored = performance.now() - killed
      if (Number.isNaN(led)) led = stored
      log(`kill ${k}/${kills}: ${standbyName} led ${Math.round(led)} ms after the SIGKILL and stored its first candle after ${Math.round(stored)} ms`)
      leadMs.push(led)
      storeMs.push(stored)
      const next = leader.child.name
      leader = standby
      if (k < kills) standby = await start(next)
    }
    await leader.child.stop()
    await standby.child.stop()
  } finally {
    await db.end().catch(() => {})
    await sim.stop()
    await redis.stop()
    await database.stop()
  }
  return {
    figures: {
      'failover.lead_ms': median(leadMs),
      'failover.lead_max_ms': Math.max(...leadMs),
      'failover.first_store_ms': median(storeMs),
      'failover.first_store_max_ms': Math.max(...storeMs),
      'failover.kills': storeMs.length
    },
    details: {
      knobs: knobs.used,
      lead_ms: leadMs.map(Math.round),
      first_store_ms: storeMs.map(Math.round),
      note: 'leadership polled on /stats every 10 ms, stored candles in PostgreSQL every 10 ms; default lock timings'
    }
  }
})
