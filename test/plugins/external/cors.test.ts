import t from 'tap'
import { originPolicy } from '../../../src/http/origin-policy.js'
import { testApp } from '../../helpers.js'

const preflight = (origin: string, url = '/api/v1/candles') => ({
  method: 'OPTIONS' as const,
  url,
  headers: { origin, 'access-control-request-method': 'GET' }
})
const corsHeaders = (headers: Record<string, unknown>) => Object.keys(headers).filter((h) => h.startsWith('access-control-'))

t.test('origin policy', async (t) => {
  const allowed = originPolicy(['http://localhost:3000', 'https://*.example.com'])
  t.ok(allowed('http://localhost:3000'))
  t.ok(allowed('https://app.example.com'))
  t.ok(allowed('https://a.b.example.com'), 'any subdomain depth')
  t.notOk(allowed('https://example.com'), 'the bare domain is not a subdomain')
  t.notOk(allowed('http://app.example.com'), 'the scheme must match')
  t.notOk(allowed('https://app.example.com.evil.test'))
  t.notOk(allowed('http://localhost:3001'))
  t.notOk(allowed(undefined))
  t.ok(originPolicy(['*'])('http://anything.test'))
})

t.test('CORS on: allowed origins get headers and preflights, others get none', async (t) => {
  const app = await testApp(t, { HTTP_CORS_ENABLE: true, HTTP_CORS_ORIGIN: ['http://localhost:3000', 'https://*.example.com'] })
  for (const origin of ['http://localhost:3000', 'https://app.example.com']) {
    for (const url of ['/api/v1/candles', '/api/v1/symbols', '/healthz', '/api/v1/symbols/BTCUSDT/intervals']) {
      const res = await app.inject(preflight(origin, url))
      t.equal(res.statusCode, 204, `preflight ${url} from ${origin}`)
      t.equal(res.headers['access-control-allow-origin'], origin)
      t.match(res.headers['access-control-allow-methods'], /GET/)
      t.match(res.headers['access-control-allow-headers'], /Content-Type/)
      t.match(res.headers.vary, /Origin/)
    }
    const simple = await app.inject({ url: '/api/v1/symbols', headers: { origin } })
    t.equal(simple.statusCode, 200)
    t.equal(simple.headers['access-control-allow-origin'], origin, 'the origin itself, not *')
    t.match(simple.headers.vary, /Origin/)
  }
  const evil = await app.inject(preflight('http://evil.test'))
  t.same(corsHeaders(evil.headers), [], 'a disallowed preflight gets no CORS headers')
  const evilGet = await app.inject({ url: '/api/v1/symbols', headers: { origin: 'http://evil.test' } })
  t.equal(evilGet.statusCode, 200)
  t.same(corsHeaders(evilGet.headers), [], 'a disallowed origin gets no CORS headers')
  const errorRes = await app.inject({ url: '/api/v1/candles?interval=1m', headers: { origin: 'http://localhost:3000' } })
  t.equal(errorRes.statusCode, 400)
  t.equal(errorRes.headers['access-control-allow-origin'], 'http://localhost:3000', 'errors carry CORS headers so browsers can read them')
})

t.test('CORS off: no route sends CORS headers', async (t) => {
  const app = await testApp(t)
  for (const req of [
    preflight('http://localhost:3000'),
    { method: 'GET' as const, url: '/api/v1/symbols', headers: { origin: 'http://localhost:3000' } },
    { method: 'GET' as const, url: '/healthz', headers: { origin: 'http://localhost:3000' } },
    { method: 'GET' as const, url: '/nope', headers: { origin: 'http://localhost:3000' } }
  ]) {
    const res = await app.inject(req)
    t.same(corsHeaders(res.headers), [], `${req.method} ${req.url}`)
  }
  t.equal((await app.inject(preflight('http://localhost:3000'))).statusCode, 405, 'OPTIONS is not routed when CORS is off')
})
