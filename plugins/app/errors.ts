import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ApiError } from '../../src/query/api-error.js'
import { candleParamCodes } from '../../src/query/candle-params.js'
import { refusedCandleParams } from '../../src/query/candle-request.js'

// Machine codes for schema failures, by parameter name, so `limit=abc` and `max=abc` both answer
// `limit_invalid` like the rules applied after the schema.
const PARAM_CODES: Record<string, string> = {
  ...candleParamCodes(),
  name: 'name_invalid',
  period: 'period_invalid',
  fast: 'period_invalid',
  slow: 'period_invalid',
  signal: 'period_invalid',
  stddev: 'stddev_invalid'
}

const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable'
}

interface AjvIssue {
  instancePath: string
  keyword: string
  params: Record<string, unknown>
  message?: string
}

function describeIssue (issue: AjvIssue): string {
  const p = issue.params
  switch (issue.keyword) {
    case 'type': return p.type === 'integer' ? 'must be an integer' : `must be a ${String(p.type)}`
    case 'minimum': return `must be at least ${String(p.limit)}`
    case 'maximum': return `must be at most ${String(p.limit)}`
    case 'enum': return `must be one of: ${(p.allowedValues as unknown[]).join(', ')}`
    case 'minLength': return `must have at least ${String(p.limit)} characters`
    case 'maxLength': return `must have at most ${String(p.limit)} characters`
    case 'pattern': return 'has an invalid format'
    default: return issue.message ?? 'is invalid'
  }
}

/** The parameter an issue is about (the missing one for `required`); '' for the whole part. */
function issueParam (issue: AjvIssue): string {
  return issue.keyword === 'required'
    ? String(issue.params.missingProperty)
    : issue.instancePath.replace(/^\//, '').split('/')[0] ?? ''
}

function validationBody (err: FastifyError, request: FastifyRequest): { error: string, message: string } {
  const issue = (err.validation as AjvIssue[] | undefined)?.[0]
  if (issue === undefined) return { error: 'bad_request', message: err.message }
  const name = issueParam(issue)
  // A candle route's schema sees the folded query; its refusals of symbol and interval are
  // answered by the parameter rules, which name the key the client sent.
  const keys = request.candleParamKeys
  if (keys != null && err.validationContext === 'querystring' && (name === 'symbol' || name === 'interval')) {
    const refused = refusedCandleParams(request.query as Record<string, unknown>, keys)
    if (refused !== undefined) return { error: refused.code, message: refused.message }
  }
  if (issue.keyword === 'required') {
    return { error: PARAM_CODES[name] ?? 'invalid_parameter', message: `${name} is required` }
  }
  const part = err.validationContext === 'params' ? request.params : request.query
  const raw = (part as Record<string, unknown> | undefined)?.[name]
  const got = raw === undefined ? '' : ` (got ${JSON.stringify(raw)})`
  return {
    error: PARAM_CODES[name] ?? 'invalid_parameter',
    message: `${name === '' ? err.validationContext ?? 'request' : name} ${describeIssue(issue)}${got}`
  }
}

function patternToRegExp (url: string): RegExp {
  const body = url.split('/').map((seg) => seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('/')
  return new RegExp(`^${body}$`)
}

/**
 * One error shape everywhere: `{error, message}`. Client mistakes keep their status and say what to
 * fix; unexpected failures are logged and answered 500 without internals; an unknown path is 404
 * and a known path with the wrong method is 405 with `Allow`.
 */
export default fp(async (app) => {
  const routes: Array<{ re: RegExp, methods: Set<string> }> = []
  app.addHook('onRoute', (route) => {
    if (route.url.includes('*')) return
    const re = patternToRegExp(route.url)
    let entry = routes.find((r) => r.re.source === re.source)
    if (entry === undefined) {
      entry = { re, methods: new Set() }
      routes.push(entry)
    }
    for (const m of [route.method].flat()) entry.methods.add(m)
  })

  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof ApiError) {
      return reply.code(err.status).send({ error: err.code, message: err.message })
    }
    if (err.validation !== undefined) {
      return reply.code(400).send(validationBody(err, request))
    }
    const status = err.statusCode ?? 500
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ error: STATUS_CODES[status] ?? 'client_error', message: err.message })
    }
    request.log.error({ err }, 'request failed')
    const code = status === 503 ? 503 : 500
    return reply.code(code).send({
      error: code === 503 ? 'service_unavailable' : 'internal_error',
      message: code === 503 ? 'the service is temporarily unavailable; retry shortly' : 'internal error; the incident was logged'
    })
  })

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url
    const known = routes.find((r) => r.re.test(path))
    if (known !== undefined && !known.methods.has(request.method)) {
      const allow = [...known.methods].sort().join(', ')
      return reply.code(405).header('allow', allow).send({
        error: 'method_not_allowed',
        message: `${request.method} is not allowed on ${path}; allowed: ${allow}`
      })
    }
    return reply.code(404).send({ error: 'not_found', message: `no route for ${request.method} ${path}` })
  })
}, { name: 'errors' })
