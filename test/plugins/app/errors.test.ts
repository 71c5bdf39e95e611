// The error handler on its own, in a small app: every failure answers `{error, message}`, client
// mistakes say what to fix, internal failures are logged and never leak their text.
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import fc from 'fast-check'
import t from 'tap'
import { Type } from 'typebox'
import candleParamsPlugin from '../../../plugins/app/candle-params.js'
import errorsPlugin from '../../../plugins/app/errors.js'
import { CandlesQuery } from '../../../src/http/api-schemas.js'
import { ApiError } from '../../../src/query/api-error.js'
import { INTERVAL_LIST } from '../../../src/query/candle-request.js'
import { json } from '../../helpers.js'

type Teardown = { teardown: (fn: () => unknown) => void }

/** The errors plugin, the candle parameter folding and a few routes that fail on purpose. */
async function errorApp (t: Teardown): Promise<{ app: FastifyInstance, logs: string[] }> {
  const logs: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { logs.push(String(chunk)); done() } })
  const app = Fastify({
    logger: { level: 'error', stream },
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } }
  }).withTypeProvider<TypeBoxTypeProvider>()
  t.teardown(() => app.close())
  await app.register(errorsPlugin)
  await app.register(candleParamsPlugin)
  app.get('/api-error', { schema: { querystring: Type.Object({ status: Type.Integer(), code: Type.String(), message: Type.String() }) } }, async (request) => {
    throw new ApiError(request.query.status as ApiError['status'], request.query.code, request.query.message)
  })
  app.get('/boom', async () => { throw new Error('secret detail of the database') })
  app.get('/status/:code', async (request) => {
    throw Object.assign(new Error(`failed with ${(request.params as { code: string }).code}`), { statusCode: Number((request.params as { code: string }).code) })
  })
  app.get('/typed', {
    schema: {
      querystring: Type.Object({
        period: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
        name: Type.Optional(Type.String({ enum: ['sma', 'ema'] })),
        q: Type.Optional(Type.String({ maxLength: 3 })),
        need: Type.String()
      })
    }
  }, async () => ({ ok: true }))
  app.get('/items/:id', { schema: { params: Type.Object({ id: Type.Integer() }) } }, async () => ({ ok: true }))
  app.get('/candles', { schema: { querystring: CandlesQuery }, preValidation: app.foldCandleParams(CandlesQuery) }, async (request) => ({
    query: request.query,
    keys: request.candleParamKeys
  }))
  await app.ready()
  return { app, logs }
}

const body = async (app: FastifyInstance, url: string) => {
  const res = await app.inject(url)
  return { status: res.statusCode, ...json(res) }
}

t.test('an ApiError answers its own status, code and message', async (t) => {
  const { app } = await errorApp(t)
  const statuses = [400, 404, 405, 409, 429, 501, 503] as const
  await fc.assert(fc.asyncProperty(fc.constantFrom(...statuses), fc.stringMatching(/^[a-z_]{1,20}$/), fc.string({ minLength: 1, maxLength: 60 }), async (status, code, message) => {
    const res = await app.inject({ url: '/api-error', query: { status: String(status), code, message } })
    return res.statusCode === status && res.body === JSON.stringify({ error: code, message })
  }), { numRuns: 50 })
})

t.test('schema failures name the parameter, the rule and the value sent', async (t) => {
  const { app } = await errorApp(t)
  t.same(await body(app, '/typed?need=1&period=abc'), { status: 400, error: 'period_invalid', message: 'period must be an integer (got "abc")' })
  t.same(await body(app, '/typed?need=1&period=0'), { status: 400, error: 'period_invalid', message: 'period must be at least 1 (got 0)' })
  t.same(await body(app, '/typed?need=1&period=11'), { status: 400, error: 'period_invalid', message: 'period must be at most 10 (got 11)' })
  t.same(await body(app, '/typed?need=1&name=wma'), { status: 400, error: 'name_invalid', message: 'name must be one of: sma, ema (got "wma")' })
  t.same(await body(app, '/typed?need=1&q=abcd'), { status: 400, error: 'invalid_parameter', message: 'q must have at most 3 characters (got "abcd")' })
  t.same(await body(app, '/typed?need=1&q=a&q=b'), { status: 400, error: 'invalid_parameter', message: 'q must be a string (got ["a","b"])' })
  t.same(await body(app, '/typed'), { status: 400, error: 'invalid_parameter', message: 'need is required' })
  t.same(await body(app, '/items/x'), { status: 400, error: 'invalid_parameter', message: 'id must be an integer (got "x")' }, 'path parameters too')
})

t.test('candle parameters: every spelling is checked as sent, refusals name the key the client sent', async (t) => {
  const { app } = await errorApp(t)
  t.same(await body(app, '/candles?pair=BTCUSDT&tf=1m&limit=2&max=abc'), { status: 400, error: 'limit_invalid', message: 'max must be an integer (got "abc")' })
  t.same(await body(app, '/candles?tf=2m&count=0'), { status: 400, error: 'limit_invalid', message: 'count must be at least 1 (got 0)' }, 'type mistakes before a missing symbol')
  t.same(await body(app, '/candles?tf=2m'), { status: 400, error: 'symbol_required', message: 'symbol is required (e.g. symbol=BTCUSDT)' })
  t.same(await body(app, '/candles?ticker=BTC-USDT'), { status: 400, error: 'symbol_invalid', message: 'ticker "BTC-USDT" is not a symbol: use letters and digits, e.g. BTCUSDT' }, 'the symbol before the missing interval')
  t.same(await body(app, '/candles?pair=BTCUSDT'), { status: 400, error: 'interval_invalid', message: `interval is required; one of ${INTERVAL_LIST}` })
  t.same(await body(app, '/candles?pair=BTCUSDT&resolution=bad'), { status: 400, error: 'interval_invalid', message: `resolution "bad" is not a valid interval; one of ${INTERVAL_LIST}` })
  t.same(await body(app, '/candles?pair=BTCUSDT&resolution=toString'), { status: 400, error: 'interval_invalid', message: `resolution "toString" is not a valid interval; one of ${INTERVAL_LIST}` }, 'no inherited property is a TradingView resolution')
  t.same(await body(app, '/candles?ticker=ethusdt&resolution=240&max=3&startTime=2024-01-01&period=2'), {
    status: 200,
    query: { symbol: 'ethusdt', interval: '4h', limit: 3, from: '2024-01-01', period: '2' },
    keys: { symbol: 'ticker', interval: 'resolution', from: 'startTime', limit: 'max' }
  }, 'what the handler gets: the folded query and the key of each value')
})

t.test('other client errors keep their status; unknown failures are a logged 500 without internals', async (t) => {
  const { app, logs } = await errorApp(t)
  t.same(await body(app, '/status/429'), { status: 429, error: 'rate_limited', message: 'failed with 429' })
  t.same(await body(app, '/status/413'), { status: 413, error: 'payload_too_large', message: 'failed with 413' })
  t.same(await body(app, '/status/418'), { status: 418, error: 'client_error', message: 'failed with 418' })
  t.same(await body(app, '/status/503'), { status: 503, error: 'service_unavailable', message: 'the service is temporarily unavailable; retry shortly' })
  t.same(await body(app, '/status/502'), { status: 500, error: 'internal_error', message: 'internal error; the incident was logged' })
  t.equal(logs.length, 2, 'the two server errors were logged')
  t.same(await body(app, '/boom'), { status: 500, error: 'internal_error', message: 'internal error; the incident was logged' })
  t.match(logs.at(-1), /secret detail of the database/, 'the log has what the answer leaves out')
})

t.test('an unknown path is 404; a known path with another method is 405 with Allow', async (t) => {
  const { app } = await errorApp(t)
  const missing = await app.inject('/nope?x=1')
  t.same({ status: missing.statusCode, ...json(missing) }, { status: 404, error: 'not_found', message: 'no route for GET /nope' })
  const wrong = await app.inject({ method: 'DELETE', url: '/items/7' })
  t.equal(wrong.statusCode, 405)
  t.equal(wrong.headers.allow, 'GET, HEAD')
  t.same(json(wrong), { error: 'method_not_allowed', message: 'DELETE is not allowed on /items/7; allowed: GET, HEAD' })
})
