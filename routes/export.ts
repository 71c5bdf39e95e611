import { createReadStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ApiError, badRequest } from '../src/query/api-error.js'
import { ErrorResponse } from '../src/http/api-schemas.js'
import { ExportQuery, ExportResponse } from '../src/http/export-schemas.js'
import { CONTENT_TYPES, encodePages, exportFileName } from '../src/export/export-format.js'
import { ExportGate } from '../src/export/export-gate.js'
import { barsInSpan, exportCost, resolveExportRequest } from '../src/export/export-request.js'
import type { CandleStore } from '../src/store/candle-store.js'

/** Seconds a client refused for a full service is told to wait. */
const BUSY_RETRY_S = 5

const exportRoute: FastifyPluginAsyncTypebox = async (app) => {
  const gate = new ExportGate(app.config.EXPORT_MAX_CONCURRENT)
  const perRequest = app.config.EXPORT_CANDLES_PER_REQUEST

  app.get('/api/v1/export', {
    // A HEAD would build the whole export to discard it.
    exposeHeadRoute: false,
    schema: {
      tags: ['market data'],
      summary: 'Every candle of a range as a CSV, NDJSON or Parquet download',
      description: `Streams every candle with open time in [from, to] (no limit), ascending, any interval (roll-ups as on /api/v1/candles). With rate limiting on, an export counts as one request per ${perRequest} candles the range holds (EXPORT_CANDLES_PER_REQUEST), charged when it starts: 429 when the client's remaining budget is smaller, 400 export_too_large when the whole budget is. One export per client at a time (429 export_in_progress) and EXPORT_MAX_CONCURRENT across the service (503 with Retry-After).`,
      querystring: ExportQuery,
      response: { 200: ExportResponse, 400: ErrorResponse, 404: ErrorResponse, 429: ErrorResponse, 501: ErrorResponse, 503: ErrorResponse }
    }
  }, async (request, reply) => {
    const q = resolveExportRequest(request.query)
    app.marketData.requireKnown(q.symbol)
    const store: CandleStore = app.store
    if (q.format === 'parquet' && store.writeParquet === undefined) {
      throw new ApiError(501, 'format_unsupported', 'format=parquet is not available with this storage engine; use csv or ndjson')
    }
    const span = store.servedSpan(q)
    const bars = barsInSpan(q.interval, span)
    const cost = exportCost(bars, perRequest)
    const budget = await app.rateBudget.read(request)
    if (budget !== undefined) {
      if (cost > budget.max) {
        throw badRequest('export_too_large', `from/to span ${bars} ${q.interval} candles, more than the ${budget.max * perRequest} one export may hold under the rate limit (${perRequest} candles count as one request): split the range`)
      }
      // This request is already counted: the export needs cost - 1 more.
      if (cost - 1 > budget.remaining) {
        reply.header('retry-after', budget.retryAfterS)
        throw new ApiError(429, 'rate_limited', `this export of ${bars} candles counts as ${cost} requests and ${budget.remaining + 1} are left in the window; retry after ${budget.retryAfterS} s or narrow from/to`)
      }
    }
    const release = gate.acquire(request.ip)
    if (release === 'client_busy') throw new ApiError(429, 'export_in_progress', 'another export of this client is still streaming; one runs at a time per client')
    if (release === 'service_busy') {
      reply.header('retry-after', BUSY_RETRY_S)
      throw new ApiError(503, 'exports_busy', `${app.config.EXPORT_MAX_CONCURRENT} exports are streaming; retry after ${BUSY_RETRY_S} s`)
    }
    reply.raw.once('close', release)
    try {
      await app.rateBudget.charge(request, cost - 1)
      if (budget !== undefined) reply.header('x-ratelimit-remaining', Math.max(0, budget.remaining - (cost - 1)))
      const name = exportFileName({ symbol: q.symbol, interval: q.interval, format: q.format, span, from: q.from, to: q.to })
      reply.header('content-disposition', `attachment; filename="${name}"`).type(CONTENT_TYPES[q.format])
      if (q.format !== 'parquet') {
        const body = Readable.from(encodePages(store.streamCandles(q), { interval: q.interval, format: q.format, header: q.header }))
        // A stream is sent as it is read, outside the response schema's serialisation.
        return reply.send(body as never)
      }
      // DuckDB writes Parquet to a file: written to a private temp folder, streamed, then removed,
      // also when the client goes away first (the abort interrupts the write).
      const dir = mkdtempSync(join(tmpdir(), 'tv-export-'))
      const cleanup = () => rmSync(dir, { recursive: true, force: true })
      const aborted = new AbortController()
      reply.raw.once('close', () => { aborted.abort(); cleanup() })
      const path = join(dir, name)
      try {
        await store.writeParquet!(q, path, aborted.signal)
      } catch (err) {
        cleanup()
        if (!aborted.signal.aborted) throw err
        // The client left while DuckDB wrote: nobody to answer, nothing left behind.
        request.log.debug({ symbol: q.symbol, interval: q.interval }, 'parquet export abandoned by the client')
        return reply.hijack()
      }
      const file = createReadStream(path)
      file.once('close', cleanup)
      return reply.send(file as never)
    } catch (err) {
      release()
      throw err
    }
  })
}

export default exportRoute
