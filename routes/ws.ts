import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { originPolicy } from '../src/http/origin-policy.js'

/**
 * GET /ws: the live feed (protocol in the README). The upgrade is refused before it happens when
 * the hub is full (503) or, with CORS on, when a browser Origin is not on the CORS list (403).
 */
const ws: FastifyPluginAsyncTypebox = async (app) => {
  const { HTTP_CORS_ENABLE, HTTP_CORS_ORIGIN } = app.config
  const allowed = HTTP_CORS_ENABLE ? originPolicy(HTTP_CORS_ORIGIN) : undefined
  app.get('/ws', {
    websocket: true,
    preValidation: async (request, reply) => {
      const origin = request.headers.origin
      if (allowed !== undefined && origin !== undefined && !allowed(origin)) {
        app.liveHub.noteRefused()
        return reply.code(403).send({ error: 'origin_not_allowed', message: `origin ${origin} may not open /ws` })
      }
      if (!app.liveHub.canAccept()) {
        app.liveHub.noteRefused()
        return reply.code(503).header('retry-after', '30').send({ error: 'too_many_clients', message: 'the live feed is full; retry later' })
      }
    }
  }, (socket) => {
    app.liveHub.attach(socket)
  })
}

export default ws
