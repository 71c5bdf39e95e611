import { connect, type AddressInfo } from 'node:net'
import t from 'tap'
import type WebSocket from 'ws'
import { testApp } from '../helpers.js'
import { waitFor } from '../ingest/ingest-helpers.js'

interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** Sends a handcrafted request over a fresh TCP connection and reads one response. */
async function raw (port: number, head: string): Promise<RawResponse> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${head.trim().split('\n').map((l) => l.trim()).join('\r\n')}\r\n\r\n`))
    let data = Buffer.alloc(0)
    const parse = (): RawResponse | undefined => {
      const end = data.indexOf('\r\n\r\n')
      if (end === -1) return undefined
      const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n')
      const headers: Record<string, string> = {}
      for (const l of lines) {
        const i = l.indexOf(':')
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim()
      }
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine!)?.[1])
      const body = data.subarray(end + 4)
      const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length'])
      if (status !== 101 && length !== undefined && body.length < length) return undefined
      return { status, headers, body: body.toString('utf8') }
    }
    const done = (r: RawResponse | undefined) => {
      socket.destroy()
      if (r === undefined) reject(new Error(`no complete response: ${data.toString('latin1')}`))
      else resolve(r)
    }
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk])
      const r = parse()
      if (r !== undefined) done(r)
    })
    socket.on('end', () => done(parse()))
    socket.on('error', reject)
  })
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='

t.test('malformed handshakes and upgrades elsewhere get {error, message} JSON, never ws\'s plain text', async (t) => {
  const app = await testApp(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as AddressInfo).port
  const upgrade = (path: string, extra = '', key = KEY, version = '13') => raw(port, `
    GET ${path} HTTP/1.1
    Host: 127.0.0.1
    Connection: Upgrade
    Upgrade: websocket
    Sec-WebSocket-Key: ${key}
    Sec-WebSocket-Version: ${version}
    ${extra}`)
  const jsonError = (r: RawResponse, status: number, error: string, message: RegExp, what: string) => {
    t.equal(r.status, status, `${what}: status`)
    t.match(r.headers['content-type'], /^application\/json/, `${what}: JSON`)
    t.match(JSON.parse(r.body), { error, message }, `${what}: body`)
  }

  jsonError(await upgrade('/ws', '', 'not-a-key'), 400, 'websocket_handshake_invalid', /Sec-WebSocket-Key/, 'a bad key')
  jsonError(await upgrade('/ws', '', 'dGhlIHNhbXBsZSBub25jZQ'), 400, 'websocket_handshake_invalid', /Sec-WebSocket-Key/, 'a key of the wrong length')
  const badVersion = await upgrade('/ws', '', KEY, '12')
  jsonError(badVersion, 400, 'websocket_handshake_invalid', /Sec-WebSocket-Version "12" is not supported/, 'version 12')
  t.equal(badVersion.headers['sec-websocket-version'], '13, 8', 'the versions spoken are listed')
  jsonError(await upgrade('/ws', '', KEY, 'x'), 400, 'websocket_handshake_invalid', /Sec-WebSocket-Version/, 'a version that is not a number')
  jsonError(await upgrade('/ws', 'Sec-WebSocket-Protocol: a b, c'), 400, 'websocket_handshake_invalid', /Sec-WebSocket-Protocol/, 'a bad subprotocol list')
  const noKey = await raw(port, `
    GET /ws HTTP/1.1
    Host: 127.0.0.1
    Connection: Upgrade
    Upgrade: websocket
    Sec-WebSocket-Version: 13`)
  jsonError(noKey, 400, 'websocket_handshake_invalid', /Sec-WebSocket-Key/, 'no key')
  t.equal(noKey.headers.connection, 'close', 'the connection is closed after a refused upgrade')

  jsonError(await raw(port, `
    GET /ws HTTP/1.1
    Host: 127.0.0.1
    Connection: Upgrade, HTTP2-Settings
    Upgrade: h2c
    HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA`), 400, 'websocket_handshake_invalid', /Upgrade must be websocket \(got "h2c"\)/, 'Upgrade: h2c on /ws')
  jsonError(await raw(port, `
    GET /ws HTTP/1.1
    Host: 127.0.0.1
    Connection: keep-alive
    Upgrade: websocket
    Sec-WebSocket-Key: ${KEY}
    Sec-WebSocket-Version: 13`), 400, 'websocket_handshake_invalid', /Connection must include upgrade/, 'Upgrade without Connection: upgrade')
  jsonError(await raw(port, `
    GET /ws HTTP/1.1
    Host: 127.0.0.1`), 426, 'upgrade_required', /WebSocket endpoint/, 'no upgrade at all')

  const candles = await upgrade('/api/v1/candles?symbol=BTCUSDT&interval=1m')
  jsonError(candles, 400, 'upgrade_not_supported', /GET \/api\/v1\/candles does not switch protocols; WebSocket clients connect to GET \/ws/, 'a WebSocket upgrade on the candles route')
  jsonError(await upgrade('/healthz'), 400, 'upgrade_not_supported', /healthz/, 'on the health route')
  jsonError(await upgrade('/nowhere'), 404, 'not_found', /no route/, 'on an unknown path')

  const h2c = await raw(port, `
    GET /api/v1/symbols HTTP/1.1
    Host: 127.0.0.1
    Connection: Upgrade, HTTP2-Settings
    Upgrade: h2c
    HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA`)
  t.equal(h2c.status, 200, 'an h2c upgrade elsewhere is served as plain HTTP/1.1 (the Upgrade header is ignored)')
  t.same(JSON.parse(h2c.body), { symbols: [] })

  const ok = await upgrade('/ws')
  t.equal(ok.status, 101, 'a valid handshake still switches protocols')
  t.equal(ok.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=', 'with the RFC 6455 accept value')
  await waitFor(() => app.liveHub.clientCount === 0, 30_000, 'the raw client to be gone')
})

t.test('injectWS\'s socketless upgrade passes the same checks', async (t) => {
  const app = await testApp(t)
  const messages: string[] = []
  const ws = await app.injectWS('/ws', {}, { onInit: (socket) => { socket.on('message', (d) => messages.push(String(d))) } }) as unknown as WebSocket
  t.teardown(() => ws.terminate())
  await waitFor(() => messages.length > 0, 30_000, 'the welcome')
  t.match(JSON.parse(messages[0]!), { type: 'welcome' })
  await t.rejects(app.injectWS('/api/v1/symbols'), { message: 'Unexpected server response: 400' }, 'and an injected upgrade elsewhere is refused')
})
