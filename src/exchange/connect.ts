// Builds the exchange client: Binance at the given URLs, or the built-in simulator started in
// this process on a free local port.
import type { Log } from '../log.js'
import { BinanceExchange, type BinanceExchangeOptions } from './binance/binance-exchange.js'
import type { Exchange } from './exchange.js'
import { DEFAULT_SYMBOLS, RealClock, startSimulator, tickMsForSpeed, type SimulatorOptions } from './simulator/server.js'

export interface ExchangeConnection {
  /** `simulator` starts the built-in simulator and ignores the URLs. */
  kind: 'binance' | 'simulator'
  restUrl: string
  wsUrl: string
  /** Simulator: simulated seconds per real second. */
  simulatorSpeed: number
  /** Simulator: symbols it lists besides its own defaults. */
  symbols: readonly string[]
}

export interface ConnectedExchange {
  exchange: Exchange
  /** Closes the client, and the simulator when one was started. */
  close (): Promise<void>
}

export type ExchangeTuning = Partial<Pick<BinanceExchangeOptions, 'silenceTimeoutMs' | 'backoffMinMs' | 'backoffMaxMs' | 'rest'>>

export async function connectExchange (
  connection: ExchangeConnection,
  log: Log,
  opts: { tuning?: ExchangeTuning, simulator?: SimulatorOptions } = {}
): Promise<ConnectedExchange> {
  let { restUrl, wsUrl } = connection
  let closeSim = async (): Promise<void> => {}
  if (connection.kind === 'simulator') {
    const symbols = [...new Set([...DEFAULT_SYMBOLS, ...connection.symbols])]
    const speed = connection.simulatorSpeed
    const clock = new RealClock({ speed, tickMs: tickMsForSpeed(speed) })
    const sim = await startSimulator({ symbols, clock, ...opts.simulator })
    restUrl = sim.restUrl
    wsUrl = sim.wsUrl
    closeSim = async () => {
      await sim.close()
      clock.close()
    }
    log.info({ restUrl, wsUrl }, 'EXCHANGE=simulator: using the built-in Binance simulator')
  }
  const exchange = new BinanceExchange({ restUrl, wsUrl, log, ...opts.tuning })
  return {
    exchange,
    async close () {
      await exchange.close()
      await closeSim()
    }
  }
}
