import fastifyEnv from '@fastify/env'
import fp from 'fastify-plugin'
import { ConfigSchema, type Config } from '../src/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
  }
}

export interface ConfigPluginOptions {
  /** Settings already merged from defaults, .env, environment and flags by src/config.ts. */
  config: Config
}

/** Validates the merged settings once more against the schema and exposes them as `app.config`. */
export default fp<ConfigPluginOptions>(async (app, opts) => {
  await app.register(fastifyEnv, {
    schema: structuredClone(ConfigSchema),
    data: { ...opts.config },
    env: false,
    dotenv: false
  })
}, { name: 'config' })
