import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** When this instance was built (epoch ms): what /healthz and /stats count uptime from. */
    startedAt: number
  }
}

/** The service's start time, owned here so every reader depends on one plugin for it. */
export default fp(async (app) => {
  app.decorate('startedAt', Date.now())
}, { name: 'uptime' })
