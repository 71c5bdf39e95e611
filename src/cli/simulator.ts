// `tv-api simulator`: the Binance simulator on its own, for demos and benchmarks that run the
// service (or any Binance client) in another process.
import { RealClock, startSimulator, tickMsForSpeed, DEFAULT_SYMBOLS } from '../exchange/simulator/server.js'
import { UsageError, type Command } from './command.js'
import { listenFailure } from './listen.js'
import { parseSymbolList, parseTimeOption } from './options.js'

const DEFAULT_HOST = '127.0.0.1'
const DEFAULT_PORT = 9100

export const simulatorCommand: Command = {
  summary: 'run the built-in Binance simulator (REST + WS) until stopped',
  usage: `tv-api simulator [--host ${DEFAULT_HOST}] [--port ${DEFAULT_PORT}] [--speed 1] [--start now] [--symbols ...] [--seed 1]`,
  options: {
    HOST: { description: 'Address to listen on', default: DEFAULT_HOST },
    PORT: { description: 'REST and WebSocket port (0 picks a free port)', default: String(DEFAULT_PORT) },
    SPEED: { description: 'Simulated seconds per real second', default: '1' },
    START: { description: 'Simulated start time (date, ISO time, epoch s/ms, now)', default: 'now' },
    SYMBOLS: { description: 'Listed symbols; others are answered with -1121 Invalid symbol.', default: DEFAULT_SYMBOLS.join(',') },
    SEED: { description: 'Price walk seed', default: '1' }
  },
  settings: [],
  async run ({ options, positionals }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
    const host = options.get('HOST') ?? DEFAULT_HOST
    if (host.trim() === '') throw new UsageError('invalid value "" for --host: give an address such as 127.0.0.1 or 0.0.0.0')
    const portText = options.get('PORT') ?? String(DEFAULT_PORT)
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new UsageError(`invalid value "${portText}" for --port: must be an integer from 0 to 65535`)
    const port = Number(portText)
    const speed = Number(options.get('SPEED') ?? '1')
    if (!Number.isFinite(speed) || speed <= 0 || speed > 100_000) throw new UsageError(`invalid value "${options.get('SPEED')}" for --speed: a number above 0`)
    const seed = Number(options.get('SEED') ?? '1')
    if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`invalid value "${options.get('SEED')}" for --seed: a non-negative integer`)
    const now = Date.now()
    const startMs = parseTimeOption(options.get('START'), 'start', now, now)
    const symbols = parseSymbolList(options.get('SYMBOLS') ?? DEFAULT_SYMBOLS.join(','), 'symbols')
    const clock = new RealClock({ startMs, speed, tickMs: tickMsForSpeed(speed) })
    let sim: Awaited<ReturnType<typeof startSimulator>>
    try {
      sim = await startSimulator({ host, port, clock, symbols, seed })
    } catch (err) {
      clock.close()
      throw listenFailure(err, host, port, { host: '--host', port: '--port' }) ?? err
    }
    process.stdout.write(`simulator listening: REST ${sim.restUrl}  WS ${sim.wsUrl}  (speed ${speed}x, symbols ${symbols.join(',')})\n`)
    const stop = () => { void sim.close().then(() => process.exit(0)) }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    return -1
  }
}
