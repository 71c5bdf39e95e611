// `tv-api simulator`: the Binance simulator on its own, for demos and benchmarks that run the
// service (or any Binance client) in another process.
import { RealClock, startSimulator, DEFAULT_SYMBOLS } from '../exchange/simulator/server.js'
import { UsageError, type Command } from './command.js'
import { parseSymbolList, parseTimeOption } from './options.js'

export const simulatorCommand: Command = {
  summary: 'run the built-in Binance simulator (REST + WS) until stopped',
  usage: 'tv-api simulator [--host 127.0.0.1] [--port 9100] [--speed 1] [--start now] [--symbols ...]',
  options: {
    SPEED: { description: 'Simulated seconds per real second', default: '1' },
    START: { description: 'Simulated start time (date, ISO time, epoch s/ms, now)', default: 'now' },
    SYMBOLS: { description: 'Listed symbols', default: DEFAULT_SYMBOLS.join(',') },
    SEED: { description: 'Price walk seed', default: '1' }
  },
  async run ({ config, options, positionals }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
    const speed = Number(options.get('SPEED') ?? '1')
    if (!Number.isFinite(speed) || speed <= 0 || speed > 100_000) throw new UsageError(`invalid value "${options.get('SPEED')}" for --speed: a number above 0`)
    const seed = Number(options.get('SEED') ?? '1')
    if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`invalid value "${options.get('SEED')}" for --seed: a non-negative integer`)
    const now = Date.now()
    const startMs = parseTimeOption(options.get('START'), 'start', now, now)
    const symbols = parseSymbolList(options.get('SYMBOLS') ?? DEFAULT_SYMBOLS.join(','), 'symbols')
    const sim = await startSimulator({
      host: config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST,
      port: config.PORT === 8080 ? 9100 : config.PORT,
      clock: new RealClock({ startMs, speed, tickMs: Math.max(20, Math.min(250, 250 / speed)) }),
      symbols,
      seed
    })
    process.stdout.write(`simulator listening: REST ${sim.restUrl}  WS ${sim.wsUrl}  (speed ${speed}x, symbols ${symbols.join(',')})\n`)
    const stop = () => { void sim.close().then(() => process.exit(0)) }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    return -1
  }
}
