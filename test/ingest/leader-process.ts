// A live service over a PostgreSQL store in a process of its own, for failover tests that kill it:
// `node --import tsx test/ingest/leader-process.ts DATABASE_URL REST_URL WS_URL HOLDER`. It ingests
// from the given exchange address with the default leader lock timings and prints the line
// startServiceProcess waits for.
import type { AddressInfo } from 'node:net'
import { buildApp } from '../../src/app.js'
import { defaultConfig } from '../../src/config.js'
import { openPostgresStore } from '../../src/store/postgres/postgres-candle-store.js'

const [url, restUrl, wsUrl, holder] = process.argv.slice(2) as [string, string, string, string]
const store = await openPostgresStore({ url, poolSize: 2, applicationName: `tv-api ${holder}` })
const config = defaultConfig({
  LIVE: true,
  STORAGE: 'memory',
  HOST: '127.0.0.1',
  PORT: 0,
  LOG_LEVEL: 'error',
  MAX_EVENT_LOOP_DELAY_MS: 0,
  LIVE_SYMBOLS: ['BTCUSDT', 'ETHUSDT'],
  LIVE_LOOKBACK: '2h',
  BINANCE_REST_URL: restUrl,
  BINANCE_WS_URL: wsUrl
})
const app = await buildApp(config, { logger: false, store, ingest: { leadership: { holder } } })
process.once('SIGTERM', () => {
  void app.close().then(() => store.close()).then(() => process.exit(0))
})
await app.listen({ host: config.HOST, port: config.PORT })
process.stdout.write(`listening at http://127.0.0.1:${(app.server.address() as AddressInfo).port}\n`)
