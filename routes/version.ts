import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { VersionResponse } from '../src/http/api-schemas.js'
import { packageInfo } from '../src/project.js'

const version: FastifyPluginAsyncTypebox = async (app) => {
  const pkg = packageInfo()
  const commit = process.env.GIT_COMMIT ?? process.env.SOURCE_COMMIT
  const body = {
    name: pkg.name,
    version: pkg.version,
    ...(commit !== undefined && commit !== '' ? { commit } : {}),
    node: process.version,
    duckdb: app.store.engineVersion
  }
  app.get('/version', {
    schema: { tags: ['meta'], summary: 'Build and runtime versions', response: { 200: VersionResponse } }
  }, async () => body)
}

export default version
