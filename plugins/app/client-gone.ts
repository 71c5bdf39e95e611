import type { FastifyReply } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyReply {
    /**
     * Aborts when the connection closes before this reply was sent: nobody waits for the answer,
     * so work done for it (a running query) can stop.
     */
    readonly clientGone: AbortSignal
  }
}

const SIGNAL = Symbol('clientGone')

type WithSignal = FastifyReply & { [SIGNAL]?: AbortSignal }

/** Nobody to answer; 499 (a client's mistake, not logged as a failure) in the access log. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError'
  readonly statusCode = 499
}

/** reply.clientGone, created on first use so requests that never do any long work pay nothing. */
export default fp(async (app) => {
  app.decorateReply('clientGone', {
    getter (this: WithSignal): AbortSignal {
      let signal = this[SIGNAL]
      if (signal === undefined) {
        const controller = new AbortController()
        const res = this.raw
        res.once('close', () => {
          if (!res.writableFinished) controller.abort(new ClientGoneError('the client closed the connection before the answer'))
        })
        signal = this[SIGNAL] = controller.signal
      }
      return signal
    }
  })
}, { name: 'client-gone' })
