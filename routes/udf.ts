import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import {
  UdfConfigResponse, UdfErrorResponse, UdfHistoryQuery, UdfHistoryResponse, UdfQuotesQuery, UdfQuotesResponse,
  UdfSearchQuery, UdfSearchResponse, UdfSymbolInfoResponse, UdfSymbolQuery
} from '../src/http/udf-schemas.js'
import { ApiError } from '../src/query/api-error.js'
import { UdfError } from '../src/udf/udf-error.js'

const tags = ['tradingview']

/** A schema failure as UDF clients read errors: `{s: "error", errmsg}` naming the parameter. */
function validationMessage (err: Error & { validation?: Array<{ instancePath: string, message?: string }> }, query: unknown): string {
  const issue = err.validation?.[0]
  if (issue === undefined) return err.message
  const name = issue.instancePath.replace(/^\//, '')
  const raw = (query as Record<string, unknown> | undefined)?.[name]
  return `${name} ${issue.message ?? 'is invalid'}${raw === undefined ? '' : ` (got ${JSON.stringify(raw)})`}`
}

/**
 * Runs one UDF answer: bad input and unknown symbols become `{s: "error", errmsg}` with 400 or 404
 * (the library reads the body whatever the status); anything else goes to the error handler.
 */
async function answer<T> (request: FastifyRequest, reply: FastifyReply, run: () => T | Promise<T>): Promise<T | undefined> {
  if (request.validationError !== undefined) {
    void reply.code(400).send({ s: 'error', errmsg: validationMessage(request.validationError, request.query) })
    return undefined
  }
  try {
    return await run()
  } catch (err) {
    // ApiError: the candle read's 503 query_timeout.
    if (!(err instanceof UdfError) && !(err instanceof ApiError)) throw err
    void reply.code(err.status).send({ s: 'error', errmsg: err.message })
    return undefined
  }
}

/** TradingView's UDF protocol, the datafeed of the Charting Library's UDFCompatibleDatafeed. */
const udf: FastifyPluginAsyncTypebox = async (app) => {
  const errors = { 400: UdfErrorResponse, 404: UdfErrorResponse }

  app.get('/udf/config', {
    schema: { tags, summary: 'UDF datafeed configuration', response: { 200: UdfConfigResponse } }
  }, async () => app.udf.config())

  app.get('/udf/symbols', {
    attachValidation: true,
    schema: { tags, summary: 'UDF SymbolInfo of one symbol', querystring: UdfSymbolQuery, response: { 200: UdfSymbolInfoResponse, ...errors } }
  }, async (request, reply) => await answer(request, reply, () => app.udf.symbolInfo(request.query.symbol)))

  app.get('/udf/search', {
    attachValidation: true,
    schema: { tags, summary: 'UDF symbol search', querystring: UdfSearchQuery, response: { 200: UdfSearchResponse, 400: UdfErrorResponse } }
  }, async (request, reply) => await answer(request, reply, () => app.udf.search(request.query)))

  app.get('/udf/time', {
    schema: {
      tags,
      summary: 'Server time: a bare number of unix seconds (text/plain)',
      response: { 200: { description: 'Unix seconds', content: { 'text/plain': { schema: Type.String({ pattern: '^[0-9]+$' }) } } } }
    }
  }, async (_request, reply) => reply.type('text/plain; charset=utf-8').send(String(app.udf.time())))

  app.get('/udf/quotes', {
    attachValidation: true,
    schema: {
      tags,
      summary: 'UDF quotes: last price and 24 h change from the stored candles',
      querystring: UdfQuotesQuery,
      response: { 200: UdfQuotesResponse, 400: UdfErrorResponse }
    }
  }, async (request, reply) => await answer(request, reply, () => app.udf.quotes(request.query.symbols)))

  app.get('/udf/history', {
    attachValidation: true,
    schema: {
      tags,
      summary: 'UDF bars: [from, to) in seconds, or countback bars before to',
      description: 'Bars opening in [from, to), or with countback the newest countback bars opening before to (countback takes priority over from), ascending, at most HTTP_MAX_LIMIT (the newest kept). An empty range answers {s: "no_data", nextTime} with the open of the newest bar before to, or {s: "no_data"} before the first stored bar. Every interval is rolled up as on /api/v1/candles.',
      querystring: UdfHistoryQuery,
      response: { 200: UdfHistoryResponse, ...errors, 503: UdfErrorResponse }
    }
  }, async (request, reply) => await answer(request, reply, () => app.udf.history(request.query, reply.clientGone)))
}

export default udf
