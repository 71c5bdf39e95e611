import fp from 'fastify-plugin'
import { InProcessLiveBus, type LiveBus } from '../../src/live/live-bus.js'

declare module 'fastify' {
  interface FastifyInstance {
    liveBus: LiveBus
  }
}

/** The in-process bus between the ingestor (publisher) and the /ws hub (subscriber). */
export default fp(async (app) => {
  app.decorate('liveBus', new InProcessLiveBus())
}, { name: 'live-bus' })
