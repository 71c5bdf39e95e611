import fp from 'fastify-plugin'
import { LIVE_OFF, type IngestStatus } from '../src/ingest/ingest-status.js'

declare module 'fastify' {
  interface FastifyInstance {
    ingest: IngestStatus
  }
}

export default fp(async (app) => {
  if (app.config.LIVE) throw new Error('LIVE=1 needs the live ingestor')
  app.decorate('ingest', LIVE_OFF)
}, { name: 'ingest', dependencies: ['config', 'store'] })
