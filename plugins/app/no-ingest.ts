import fp from 'fastify-plugin'
import { LIVE_OFF } from '../../src/ingest/ingest-status.js'

/**
 * The ingest status of a process that never ingests (ROLE=api): no exchange client, no ingestor,
 * whatever LIVE says; its live candles come from the bus alone.
 */
export default fp(async (app) => {
  app.decorate('ingest', LIVE_OFF)
}, { name: 'ingest' })
