import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorResponse } from '../src/http/api-schemas.js'
import { originPolicy } from '../src/http/origin-policy.js'
import { handshakeProblem } from '../src/live/handshake.js'

/**
 * GET /ws: the live feed (protocol in the README). The upgrade is refused before it happens when
 * the hub is full (503) or, with CORS on, when a browser Origin is not on the CORS list (403). A
 * plain GET without an upgrade is told what to do (426).
 */
const ws: FastifyPluginAsyncTypebox = async (app) => {
  const { HTTP_CORS_ENABLE, HTTP_CORS_ORIGIN } = app.config
  const allowed = HTTP_CORS_ENABLE ? originPolicy(HTTP_CORS_ORIGIN) : undefined
  app.route({
    method: 'GET',
    url: '/ws',
    schema: {
      tags: ['live'],
      summary: 'Live candles over WebSocket',
      description: 'Upgrade to a WebSocket (same port). Send {"event":"subscribe","symbol":"BTCUSDT","interval":"1m"} and receive {"type":"candle","symbol","interval","data":[ts,o,h,l,c,v],"final":bool}; the full protocol is in the README. Refused with 403 when CORS is on and the Origin is not allowed, 503 when WS_MAX_CLIENTS is reached, 429 when rate limited; 400 for a malformed handshake (Upgrade other than websocket, bad Sec-WebSocket-Key or Sec-WebSocket-Version); 426 for a request without an upgrade.',
      response: {
        101: { description: 'Switching Protocols: the WebSocket is open', type: 'null' },
        400: ErrorResponse,
        403: ErrorResponse,
        426: ErrorResponse,
        429: ErrorResponse,
        503: ErrorResponse
      }
    },
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
    },
    handler: async (request, reply) => {
      // An Upgrade other than a complete WebSocket handshake never reaches the upgrade path.
      const problem = request.headers.upgrade === undefined ? undefined : handshakeProblem(request.headers)
      if (problem !== undefined) {
        return reply.code(400).headers(problem.headers ?? {}).send({ error: 'websocket_handshake_invalid', message: problem.message })
      }
      return reply.code(426).header('upgrade', 'websocket').send({
        error: 'upgrade_required',
        message: '/ws is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)'
      })
    },
    wsHandler: (socket, request) => {
      // @fastify/websocket keeps the upgrade's request, reply and logger reachable for the whole
      // life of the connection (through its socket error listener and the placeholder response
      // it attached to the TCP socket): about 3 KB per client, 15 MB at 5,000 clients. The hub
      // handles socket errors itself, so both are let go.
      // (injectWS has no TCP socket: nothing to detach then.)
      socket.removeAllListeners('error')
      const tcp = request.raw.socket as (typeof request.raw.socket & { _httpMessage?: { detachSocket?: (s: unknown) => void } }) | undefined
      tcp?._httpMessage?.detachSocket?.(tcp)
      app.liveHub.attach(socket)
    }
  })
}

export default ws
