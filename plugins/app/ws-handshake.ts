import type { IncomingMessage } from 'node:http'
import fp from 'fastify-plugin'
import { asksForWebSocket, handshakeProblem } from '../../src/live/handshake.js'

/**
 * Protocol upgrades answered in the API's own terms. Only `Upgrade: websocket` takes Node's upgrade
 * path; any other upgrade (curl --http2's h2c, ...) is an ordinary request whose Upgrade header is
 * ignored, as HTTP allows. A WebSocket upgrade to a route without a WebSocket handler gets a JSON
 * 400 instead of a 101 and an immediate close, and a malformed handshake on /ws gets a JSON 400
 * naming the header instead of `ws`'s plain-text one. The checks read headers only, so injectWS's
 * socketless upgrade passes them like a real one.
 */
export default fp(async (app) => {
  // http.Server reads its shouldUpgradeCallback option from this property on every request.
  const server = app.server as typeof app.server & { shouldUpgradeCallback: (req: IncomingMessage) => boolean }
  server.shouldUpgradeCallback = (req) => asksForWebSocket(req.headers)

  const webSocketRoutes = new Set<string>()
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat()
    if ((route.wsHandler !== undefined || route.websocket === true) && methods.includes('GET')) webSocketRoutes.add(route.url)
  })

  app.addHook('onRequest', async (request, reply) => {
    if (!request.ws) return
    // The socket is closed after any answer other than 101: say so.
    reply.header('connection', 'close')
    const route = request.routeOptions.url
    // An unknown path: the not-found handler answers 404.
    if (route === undefined) return
    if (request.method !== 'GET' || !webSocketRoutes.has(route)) {
      return reply.code(400).send({
        error: 'upgrade_not_supported',
        message: `${request.method} ${route} does not switch protocols; WebSocket clients connect to GET ${[...webSocketRoutes].join(', ')}`
      })
    }
    const problem = handshakeProblem(request.headers)
    if (problem !== undefined) {
      return reply.code(400).headers(problem.headers ?? {}).send({ error: 'websocket_handshake_invalid', message: problem.message })
    }
  })
}, { name: 'ws-handshake', dependencies: ['live-hub'] })
