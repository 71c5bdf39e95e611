import fp from 'fastify-plugin'
import type { Config } from '../../src/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
  }
}

export interface ConfigPluginOptions {
  /** Settings already parsed and checked by src/config.ts (loadConfig or defaultConfig). */
  config: Config
}

/** Exposes the configuration as `app.config` for the plugins and routes that read settings. */
export default fp<ConfigPluginOptions>(async (app, opts) => {
  app.decorate('config', opts.config)
}, { name: 'config' })
