// The split deployment with real processes against the built-in simulator (a candle closes about
// every second): two ROLE=ingest processes (one leads, one stands by) and two ROLE=api replicas on
// one PostgreSQL database and one Redis of the test's own. The replicas answer the same bodies; fifty /ws clients spread over
// both get every final in order, equal to REST; they keep every final across a Redis restart (as
// README "Across processes: the Redis bus" promises: the missed finals, then a resync_done); and
// the clients of a replica that is killed reconnect to the other, as a browser behind a load
// balancer would, and continue from the snapshot (and REST) they resume at.
import t from 'tap'
import type { Client } from '../routes/ws-helpers.js'
import { postgresDatabase, postgresSkip } from '../services/postgres.js'
import { startRedis } from '../services/redis.js'
import { waitFor } from '../ingest/ingest-helpers.js'
import {
  MIN, WAIT_MS, Viewer, getJson, ingestLastClosed, ownRedisSkip, readiness, restCandles, seriesFaults, startRole, type RoleProcess
} from './replica-helpers.js'

t.setTimeout(240_000)

const SYMBOL = 'BTCUSDT'
const VIEWERS_PER_REPLICA = 25
const FINALS = 10
const HOUR = 60 * MIN

const iso = (ts: number) => new Date(ts).toISOString()
const bodyOf = async (url: string) => {
  const res = await fetch(url)
  return `${res.status} ${await res.text()}`
}

/** Every bar the viewers got, checked against REST on `base`: the ones that differ, as text. */
async function differingFromRest (base: string, bars: number[][]): Promise<string[]> {
  if (bars.length === 0) return []
  const ts = bars.map((b) => b[0]!)
  const rest = new Map((await restCandles(base, SYMBOL, Math.min(...ts), Math.max(...ts))).map((c) => [c[0]!, JSON.stringify(c)]))
  return bars.filter((b) => rest.get(b[0]!) !== JSON.stringify(b)).map((b) => `${iso(b[0]!)}: ${JSON.stringify(b)} vs REST ${rest.get(b[0]!) ?? 'none'}`)
}

t.test('2 ingest (a leader and a standby) + 2 api processes on one PostgreSQL and Redis', { skip: postgresSkip() || ownRedisSkip() }, async (t) => {
  const processes: RoleProcess[] = []
  /** Waits for a condition; on timeout the error carries the end of every process's log. */
  const until = (predicate: () => boolean | Promise<boolean>, what: string) => waitFor(predicate, WAIT_MS, what).catch((err: Error) => {
    throw new Error(`${err.message}\n${processes.map((p) => `--- ${p.base}\n${p.output().slice(-4000)}`).join('\n')}`)
  })
  const database = await postgresDatabase(t)
  // Registered before the processes: teardowns run last-first, so they stop before their Redis.
  let redis = await startRedis()
  t.teardown(() => redis.stop())
  const redisPort = Number(new URL(redis.url).port)
  const shared = [
    '--storage', 'postgres', '--database-url', database, '--bus', 'redis', '--redis-url', redis.url, '--redis-prefix', 'tvscale:',
    '--host', '127.0.0.1', '--port', '0', '--log-level', 'info', '--live-symbols', SYMBOL
  ]
  const ingestArgs = [...shared, '--role', 'ingest', '--live', '1', '--exchange', 'simulator', '--simulator-speed', '60', '--live-lookback', '1d']
  const ingest = await startRole(t, ingestArgs)
  const leadership = async (p: RoleProcess) => (await getJson(`${p.base}/healthz`).catch(() => undefined))?.live?.leadership?.role as string | undefined
  await until(async () => await leadership(ingest) === 'leader', 'the first ingest process to lead')
  // A second ingest process stands by the whole time: it must neither write nor publish.
  const [standby, ...started] = await Promise.all([startRole(t, ingestArgs), startRole(t, [...shared, '--role', 'api']), startRole(t, [...shared, '--role', 'api'])])
  const replicas = started as [RoleProcess, RoleProcess]
  const [a, b] = replicas
  processes.push(ingest, standby!, ...replicas)
  await until(async () => await leadership(standby!) === 'standby', 'the second ingest process to stand by')
  const allReady = async () => (await Promise.all(replicas.map((r) => readiness(r.base)))).every((s) => s === '200')
  await until(allReady, 'both replicas ready')
  const latestOn = async (r: RoleProcess) => (await getJson(`${r.base}/api/v1/candles?symbol=${SYMBOL}&interval=1m&limit=1`)).data[0]?.[0] as number | undefined
  const span1m = async (r: RoleProcess) => {
    const range = (await getJson(`${r.base}/api/v1/intervals?symbol=${SYMBOL}&include_ranges=true`)).intervals.find((i: { name: string }) => i.name === '1m')
    return range === undefined ? 0 : range.to - range.from
  }
  await until(async () => (await span1m(a)) >= 23 * HOUR && (await span1m(b)) >= 23 * HOUR, 'the day of history caught up and seen by both replicas')

  const viewers = replicas.map(() => Array.from({ length: VIEWERS_PER_REPLICA }, () => new Viewer(SYMBOL))) as [Viewer[], Viewer[]]
  const everyViewer = () => [...viewers[0], ...viewers[1]]
  // Sockets live across the subtests below, so they close with this test, not with the first subtest.
  const top = t

  await t.test('both replicas answer the same bodies; 50 /ws clients get every final in order, equal to REST', async (t) => {
    // Windows of closed buckets only: the data in them no longer changes while the test reads.
    const anchor = Math.floor((await latestOn(a))! / HOUR) * HOUR
    const day = Math.floor(anchor / (24 * HOUR)) * 24 * HOUR
    const urls = [
      ...['1m', '3m', '5m', '15m', '30m', '1h'].map((iv) => `/api/v1/candles?symbol=${SYMBOL}&interval=${iv}&from=${anchor - 6 * HOUR}&to=${anchor - 1}`),
      `/api/v1/candles?symbol=${SYMBOL}&interval=1d&to=${day - 1}`,
      `/api/v1/candles?symbol=${SYMBOL}&interval=1m&to=${anchor - 1}&limit=50`,
      '/api/v1/symbols', `/api/v1/intervals?symbol=${SYMBOL}`, `/api/v1/symbols/${SYMBOL}/intervals`
    ]
    for (const url of urls) {
      const [ra, rb] = [await fetch(a.base + url), await fetch(b.base + url)]
      const [ba, bb] = [await ra.text(), await rb.text()]
      t.equal(ra.status, 200, `${url} answers 200`)
      t.equal(`${rb.status} ${bb}`, `${ra.status} ${ba}`, `${url}: the same body on both replicas`)
      if (url === urls[0]) t.equal(JSON.parse(ba).data.length, 360, 'six hours of 1m candles in the first window')
    }

    await Promise.all(replicas.map((r, i) => Promise.all(viewers[i as 0 | 1].map((v) => v.connect(top, r.ws)))))
    // A client's series starts with the first final its replica received after the subscription:
    // from the newest of those starts, every client must have every final.
    await until(() => everyViewer().every((v) => v.lastFinalTs() !== undefined), 'a first final on every client')
    const start = Math.max(...everyViewer().map((v) => v.finals()[0]![0]!))
    const end = start + (FINALS - 1) * MIN
    await until(() => everyViewer().every((v) => v.lastFinalTs()! >= end), `${FINALS} finals on every client`)

    const faults = everyViewer().flatMap((v, i) => seriesFaults(v.finals().map((f) => f[0]!)).map((f) => `client ${i}: ${f}`))
    t.same(faults, [], 'every client\'s finals are one unbroken series: in order, no gap, no duplicate')
    t.ok(everyViewer().every((v) => v.finals().some((f) => f[0] === start) && v.finals().some((f) => f[0] === end)),
      `every client has the ${FINALS} finals from ${iso(start)} to ${iso(end)}`)
    for (const [i, r] of replicas.entries()) {
      t.same(await differingFromRest(r.base, viewers[i as 0 | 1].flatMap((v) => v.finals())), [], `every final on replica ${i + 1} equals its REST candle`)
    }
    // The latest bodies change with every write; each replica drops its cached copy on the write's
    // notice, so both reach the same one.
    const latest = `/api/v1/candles?symbol=${SYMBOL}&interval=1m`
    await until(async () => await bodyOf(a.base + latest) === await bodyOf(b.base + latest), 'the same latest body on both replicas')
    t.pass('the latest-N bodies agree between replicas')
  })

  await t.test('Redis restarted: both replicas reconnect by themselves and every client ends with every final', async (t) => {
    const before = Math.max(...everyViewer().map((v) => v.lastFinalTs()!))
    const resyncsBefore = everyViewer().map((v) => v.resyncsOn(v.current))
    await redis.stop()
    const busDown = '503: the live bus is disconnected (Redis); reconnecting'
    await until(async () => (await Promise.all(replicas.map((r) => readiness(r.base)))).every((s) => s === busDown), 'both replicas not ready while Redis is down')
    t.pass('/readyz answers 503 on both replicas while Redis is down, for the bus')
    // The ingest process goes on storing while its publishes fail: these finals never reach Redis.
    await until(async () => ((await ingestLastClosed(ingest.base, SYMBOL)) ?? 0) >= before + 3 * MIN, 'three candles closed during the outage')
    const missed = (await ingestLastClosed(ingest.base, SYMBOL))!
    redis = await startRedis({ port: redisPort })
    await until(allReady, 'both replicas ready again')
    t.pass('/readyz answers 200 on both once Redis is back, without a restart')
    await until(() => everyViewer().every((v) => (v.lastFinalTs() ?? 0) >= missed + 3 * MIN), 'finals after the outage on every client')

    const faults = everyViewer().flatMap((v, i) => seriesFaults(v.finals().map((f) => f[0]!)).map((f) => `client ${i}: ${f}`))
    t.same(faults, [], 'every client\'s finals, across the outage, are one unbroken series')
    t.ok(everyViewer().every((v) => v.finals().some((f) => f[0] === missed)), `every client got the final of ${iso(missed)}, closed while Redis was down`)
    t.ok(everyViewer().every((v, i) => v.resyncsOn(v.current) > resyncsBefore[i]!), 'and a resync_done naming the symbol')
    for (const [i, r] of replicas.entries()) {
      t.same(await differingFromRest(r.base, viewers[i as 0 | 1].flatMap((v) => v.finals().filter((f) => f[0]! > before))), [], `every final since the outage on replica ${i + 1} equals REST`)
      const stats = await getJson(`${r.base}/stats`)
      t.ok(stats.bus.connected === true && stats.bus.reconnects_total >= 1 && stats.bus.recoveries_total >= 1, `replica ${i + 1} counts its reconnection and recovery in /stats`)
    }
  })

  await t.test('one api replica killed: its clients reconnect to the other and continue from the snapshot and REST', async (t) => {
    const moved = viewers[1]
    const old = new Map<Viewer, Client>(moved.map((v) => [v, v.current]))
    b.kill('SIGKILL')
    t.equal(await b.exited, 'SIGKILL', 'the replica is killed')
    await until(() => moved.every((v) => v.current.closeCode !== undefined), 'its clients to see their sockets close')
    const lastBefore = new Map(moved.map((v) => [v, v.lastFinalTs()!]))
    // Polled, not read once: an event loop lagging on two loaded cores answers 503 for a moment too.
    await until(async () => await readiness(a.base) === '200', 'the other replica ready')
    t.pass('the other replica stays ready')

    await Promise.all(moved.map((v) => v.connect(top, a.ws, 30)))
    const resumedAt = Math.max(...moved.map((v) => v.current.messages.find((m) => m.type === 'snapshot')!.data.at(-1)[0] as number))
    await until(() => everyViewer().every((v) => (v.lastFinalTs() ?? 0) >= resumedAt + 3 * MIN), 'three more finals on every client')

    const problems: string[] = []
    const bars: number[][] = []
    for (const [i, v] of moved.entries()) {
      const snapshot = v.current.messages.find((m) => m.type === 'snapshot')!.data as number[][]
      const fresh = Viewer.finalsOf(v.current, SYMBOL)
      const snapLast = snapshot.at(-1)![0]!
      // The snapshot is read once the subscription is in effect, so no final falls between the
      // two; the first finals may repeat its newest bars (stored before the read, received after).
      if (fresh[0]![0]! > snapLast + MIN) problems.push(`client ${i}: first final ${iso(fresh[0]![0]!)} after a snapshot ending ${iso(snapLast)}`)
      problems.push(...seriesFaults(fresh.map((f) => f[0]!)).map((f) => `client ${i} after reconnecting: ${f}`))
      // What a chart holds: the finals of the dead connection, REST for any hole up to the
      // snapshot, the snapshot, then the new finals, each replacing a bar of equal time.
      const hole = snapshot[0]![0]! > lastBefore.get(v)! + MIN ? await restCandles(a.base, SYMBOL, lastBefore.get(v)! + MIN, snapshot[0]![0]! - MIN) : []
      const chart = new Map<number, number[]>()
      for (const bar of [...Viewer.finalsOf(old.get(v)!, SYMBOL), ...hole, ...snapshot, ...fresh]) chart.set(bar[0]!, bar)
      problems.push(...seriesFaults([...chart.keys()].sort((x, y) => x - y)).map((f) => `client ${i}'s chart: ${f}`))
      bars.push(...Viewer.finalsOf(old.get(v)!, SYMBOL), ...snapshot, ...fresh)
    }
    t.same(problems, [], 'every moved client resumes at its snapshot with an unbroken series, and its chart has no hole')
    t.same(await differingFromRest(a.base, bars), [], 'every final before the kill, snapshot bar and final after it equals REST')
    t.same(viewers[0].flatMap((v, i) => seriesFaults(v.finals().map((f) => f[0]!)).map((f) => `client ${i}: ${f}`)), [], 'the other replica\'s own clients never noticed')
    t.same([await leadership(ingest), await leadership(standby!)], ['leader', 'standby'], 'the same ingest process led throughout')
    t.equal((await getJson(`${standby!.base}/stats`)).bus.published_total, 0, 'and the standby never published')
  })
})
