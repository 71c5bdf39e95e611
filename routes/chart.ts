import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { chartAssets, chartPagePolicy, chartWebDir } from '../src/http/chart-page.js'

const NotModified = { description: 'Not Modified: the cached copy (ETag / Last-Modified) is current', type: 'null' }

const PageQuery = Type.Object({
  symbol: Type.Optional(Type.String({ maxLength: 40, description: 'Symbol shown first (read by the page); default the first listed' })),
  interval: Type.Optional(Type.String({ maxLength: 8, description: 'Interval shown first (read by the page); default 1m' }))
})

/**
 * GET /: a live candle chart of the stored data (HTML), and GET /chart/<file>: its script, style
 * and the charting library. Files are sent by @fastify/static (ETag, Last-Modified, conditional
 * requests) from a fixed list, so nothing else of either directory is reachable.
 */
const chart: FastifyPluginAsyncTypebox = async (app) => {
  // serve: false: no wildcard route; only the routes below send files.
  await app.register(fastifyStatic, { root: chartWebDir(), serve: false })

  app.get('/', {
    schema: {
      tags: ['chart'],
      summary: 'Live candle chart page',
      description: 'An HTML page drawing candles and volume from /api/v1/candles and streaming live ones from /ws, with symbol and interval pickers. Its Content-Security-Policy allows only its own files, this API and this WebSocket.',
      querystring: PageQuery,
      response: {
        200: { description: 'The chart page', content: { 'text/html': { schema: Type.String() } } },
        304: NotModified
      }
    }
  }, async (request, reply) => {
    reply.header('content-security-policy', chartPagePolicy(request.headers.host))
    reply.header('cache-control', 'no-cache')
    return reply.sendFile('index.html')
  })

  for (const [name, [dir, file]] of Object.entries(chartAssets())) {
    const type = name.endsWith('.css') ? 'text/css' : 'application/javascript'
    app.get(`/chart/${name}`, {
      schema: {
        tags: ['chart'],
        summary: `Chart page asset ${name}`,
        querystring: Type.Object({}),
        response: {
          200: { description: name, content: { [type]: { schema: Type.String() } } },
          304: NotModified
        }
      }
    }, async (_request, reply) => {
      // Revalidated on every load, so a new release is picked up at once; unchanged files cost a 304.
      reply.header('cache-control', 'no-cache')
      return reply.sendFile(file, dir)
    })
  }
}

export default chart
