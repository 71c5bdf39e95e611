// Builds the exchange client from the settings: Binance at BINANCE_REST_URL/BINANCE_WS_URL, or,
// with EXCHANGE=simulator, the built-in simulator started in this process on a free local port.
import type { Config } from '../config.js'
import type { Log } from '../log.js'
import { BinanceExchange, type BinanceExchangeOptions } from './binance/binance-exchange.js'
import type { Exchange } from './exchange.js'
import { DEFAULT_SYMBOLS, RealClock, startSimulator, tickMsForSpeed, type SimulatorOptions } from './simulator/server.js'

export interface ConnectedExchange {
  exchange: Exchange
  /** Closes the client, and the simulator when one was started. */
  close (): Promise<void>
}

export type ExchangeTuning = Partial<Pick<BinanceExchangeOptions, 'silenceTimeoutMs' | 'backoffMinMs' | 'backoffMaxMs' | 'rest'>>

export async function connectExchange (
  config: Pick<Config, 'EXCHANGE' | 'BINANCE_REST_URL' | 'BINANCE_WS_URL' | 'LIVE_SYMBOLS' | 'SIMULATOR_SPEED'>,
  log: Log,
  opts: { tuning?: ExchangeTuning, simulator?: SimulatorOptions, symbols?: readonly string[] } = {}
): Promise<ConnectedExchange> {
  let restUrl = config.BINANCE_REST_URL
  let wsUrl = config.BINANCE_WS_URL
  let closeSim = async (): Promise<void> => {}
  if (config.EXCHANGE === 'simulator') {
    const symbols = [...new Set([...DEFAULT_SYMBOLS, ...config.LIVE_SYMBOLS, ...(opts.symbols ?? [])])]
    const speed = config.SIMULATOR_SPEED
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
