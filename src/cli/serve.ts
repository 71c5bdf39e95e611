// `tv-api [serve]`: the REST API and /ws, ingesting live data when LIVE is on. What can be checked
// before anything starts is (the address and port, the database folder), so a bad setting never
// leaves a half-started service behind.
import type { AddressInfo } from 'node:net'
import closeWithGrace from 'close-with-grace'
import { buildApp } from '../app.js'
import { chartPageUrl } from '../http/chart-page.js'
import { SETTING_NAMES } from '../settings/schema.js'
import { prepareDatabasePath } from '../store/duckdb/database-folder.js'
import { UsageError, type Command } from './command.js'
import { checkListen, listenFailure } from './listen.js'

export const serveCommand: Command = {
  summary: 'serve the REST API and /ws (default)',
  usage: 'tv-api [serve] [settings]',
  options: {},
  settings: SETTING_NAMES,
  async run ({ config, positionals }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
    await checkListen(config.HOST, config.PORT)
    if (config.STORAGE === 'duck') prepareDatabasePath(config.DUCKDB)
    const app = await buildApp(config)
    closeWithGrace({ delay: 15_000, logger: app.log }, async ({ signal, err }) => {
      if (err !== undefined) app.log.error({ err }, 'closing after an unexpected error')
      else app.log.info({ signal }, 'shutting down')
      await app.close()
    })
    try {
      await app.listen({ host: config.HOST, port: config.PORT })
    } catch (err) {
      // Taken between the check and now: close what started (the store first of all) and say so.
      await app.close()
      throw listenFailure(err, config.HOST, config.PORT) ?? err
    }
    app.log.info(`chart at ${chartPageUrl(config.HOST, (app.server.address() as AddressInfo).port)}`)
    return -1
  }
}
