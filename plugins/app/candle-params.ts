import { errorCodes, type FastifyRequest, type preValidationAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { TObject } from 'typebox'
import { unfoldedQuery } from '../../src/http/api-schemas.js'
import { foldCandleParams, type CandleParamKeys } from '../../src/query/candle-params.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The spelling each candle window parameter was sent as; null on routes without them. */
    candleParamKeys: CandleParamKeys | null
  }
  interface FastifyInstance {
    /**
     * preValidation hook of a route whose query schema holds the candle window parameters
     * (`schema` is that route schema): it checks every spelling as sent, then folds the aliases
     * into the canonical names the route schema requires.
     */
    foldCandleParams (schema: TObject): preValidationAsyncHookHandler
  }
}

/**
 * The aliases of the candle window parameters, folded before validation so the route schema (and
 * the OpenAPI document) can require `symbol` and `interval`. Mistakes are still answered in terms
 * of the key the client sent: the error handler reads `candleParamKeys`.
 */
export default fp(async (app) => {
  app.decorateRequest('candleParamKeys', null)
  app.decorate('foldCandleParams', (schema: TObject): preValidationAsyncHookHandler => {
    const sent = unfoldedQuery(schema)
    return async (request: FastifyRequest) => {
      // Compiled once per route by the app's own validator, so coercion and error shapes match
      // the route schema's.
      const check = request.compileValidationSchema(sent, 'querystring')
      if (check(request.query) === false) {
        const issue = check.errors?.[0]
        const err = new errorCodes.FST_ERR_VALIDATION(`querystring${issue?.instancePath ?? ''} ${issue?.message ?? 'is invalid'}`)
        throw Object.assign(err, { validation: check.errors ?? [], validationContext: 'querystring' as const })
      }
      const { query, keys } = foldCandleParams(request.query as Record<string, unknown>)
      request.query = query
      request.candleParamKeys = keys
    }
  })
}, { name: 'candle-params' })
