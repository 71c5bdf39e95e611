// The Binance simulator for the live-path benchmark (the CLI's `simulator` command has no flag for
// the partial cadence): a partial kline event every 100 ms per stream, and a clock that follows
// the wall clock at real speed plus a fixed offset chosen so that a minute closes `--boundary-in-ms`
// after start. The benchmark then always records exactly one final among the partials, and gets
// the wall time of every event back as E − offset. Reports its URLs and the offset over IPC.
// The IPC command `clock` ({advanceMs}) moves the clock on by that much for good (the minutes it
// crosses close at once) and answers the simulated time.
// Knobs: --symbols BTCUSDT,ETHUSDT  --tick-ms 50  --partial-every-ms 100  --boundary-in-ms 12000
import { ManualClock, startSimulator } from '../../src/exchange/simulator/server.js'
import { Knobs } from '../lib/args.js'

const MINUTE = 60_000
const knobs = Knobs.fromArgv()
const tickMs = knobs.number('tick-ms', 50)
const boundaryInMs = knobs.number('boundary-in-ms', 12_000)
const target = Date.now() + boundaryInMs
let offset = Math.ceil(target / MINUTE) * MINUTE - target
const clock = new ManualClock(Date.now() + offset)
// Ticks drive kline emission like RealClock's timer, on sim time = wall time + offset.
const timer = setInterval(() => clock.set(Date.now() + offset), tickMs)

const sim = await startSimulator({
  host: '127.0.0.1',
  port: 0,
  clock,
  partialEveryMs: knobs.number('partial-every-ms', 100),
  symbols: knobs.list('symbols', ['BTCUSDT', 'ETHUSDT'])
})

process.on('message', (raw) => {
  const msg = raw as { id: number, cmd: string, advanceMs?: number }
  if (msg.cmd !== 'clock') {
    process.send?.({ id: msg.id, ok: false, error: `unknown command ${msg.cmd}` })
    return
  }
  offset += msg.advanceMs ?? 0
  process.send?.({ id: msg.id, ok: true, now: clock.set(Date.now() + offset) })
})

let closing = false
async function shutdown (): Promise<void> {
  if (closing) return
  closing = true
  clearInterval(timer)
  await sim.close().catch(() => {})
  process.exit(0)
}
process.on('disconnect', () => { void shutdown() })
process.once('SIGTERM', () => { void shutdown() })
process.once('SIGINT', () => { void shutdown() })
process.send?.({ ev: 'ready', restUrl: sim.restUrl, wsUrl: sim.wsUrl, offsetMs: offset, boundaryAtMs: target })
