// The baseline of figure 1: a bare node:http server answering every request with the bytes the
// service sent for the same URL (body and headers, copied from a file the benchmark wrote).
// Whatever the service spends beyond this is framework, routing, validation and cache lookup.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'

const [bodyFile, headersFile] = process.argv.slice(2)
if (bodyFile === undefined || headersFile === undefined) throw new Error('usage: bare-server.ts BODY_FILE HEADERS_JSON_FILE')
const body = readFileSync(bodyFile)
const headers = JSON.parse(readFileSync(headersFile, 'utf8')) as Record<string, string>
// Connection management and framing are the server's own business, as in the service.
for (const h of ['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']) delete headers[h]
headers['content-length'] = String(body.length)
const head = Object.entries(headers)

const server = createServer((_req, res) => {
  for (const [k, v] of head) res.setHeader(k, v)
  res.end(body)
})
// The service's keep-alive timeout, so idle load-generator connections are treated alike.
server.keepAliveTimeout = 72_000
server.listen(0, '127.0.0.1', () => {
  const a = server.address()
  process.stdout.write(`bare server listening at http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}\n`)
})
process.once('SIGTERM', () => {
  server.close(() => process.exit(0))
  server.closeAllConnections()
})
process.once('SIGINT', () => process.exit(0))
