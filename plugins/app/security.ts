import fp from 'fastify-plugin'

/**
 * Response headers for a JSON API read by browsers on other origins: no MIME sniffing, no framing,
 * no referrer leaks, readable cross-origin (CORS decides who), HTTPS pinned once served over it.
 * The interactive docs page needs scripts and styles, so it keeps its own content policy; a route
 * that sets a policy of its own (the chart page) keeps that one.
 */
export default fp(async (app) => {
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff')
    reply.header('x-frame-options', 'DENY')
    reply.header('referrer-policy', 'no-referrer')
    reply.header('cross-origin-resource-policy', 'cross-origin')
    reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains')
    if (!request.url.startsWith('/docs') && !reply.hasHeader('content-security-policy')) {
      reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'")
    }
  })
}, { name: 'security' })
