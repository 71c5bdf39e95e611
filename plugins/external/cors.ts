import cors from '@fastify/cors'
import fp from 'fastify-plugin'
import { originPolicy } from '../../src/http/origin-policy.js'

/**
 * CORS for browser front ends, off unless HTTP_CORS_ENABLE. An allowed Origin is echoed back with
 * `Vary: Origin`; a preflight OPTIONS on any path answers 204 with the allowed methods and headers;
 * any other origin gets no CORS headers at all.
 */
export default fp(async (app) => {
  const { HTTP_CORS_ENABLE, HTTP_CORS_ORIGIN } = app.config
  if (!HTTP_CORS_ENABLE) return
  const allowed = originPolicy(HTTP_CORS_ORIGIN)
  await app.register(cors, {
    origin: (origin, cb) => { cb(null, allowed(origin)) },
    methods: ['GET', 'HEAD', 'OPTIONS'],
    allowedHeaders: ['Accept', 'Authorization', 'Cache-Control', 'Content-Type', 'X-Requested-With'],
    exposedHeaders: ['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
    maxAge: 600,
    strictPreflight: false
  })
}, { name: 'cors', dependencies: ['config'] })
