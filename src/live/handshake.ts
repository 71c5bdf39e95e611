// Checks of a WebSocket opening handshake (RFC 6455 §4.2.1) made before `ws` sees it, so a bad one
// is answered with the service's own `{error, message}` JSON rather than ws's plain-text 400.
// Only headers are read: the same checks hold for a real socket and for an injected upgrade.

export type HeaderValue = string | string[] | number | undefined

export interface HandshakeProblem {
  message: string
  /** Extra response headers, e.g. the versions the server speaks. */
  headers?: Record<string, string>
}

const KEY_RE = /^[+/0-9A-Za-z]{22}==$/
// RFC 7230 token characters, for Sec-WebSocket-Protocol values.
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
export const SUPPORTED_VERSIONS = ['13', '8']

function text (value: HeaderValue): string | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value.join(', ') : String(value)
}

function tokens (value: string): string[] {
  return value.split(',').map((s) => s.trim().toLowerCase())
}

/** True when the request asks to switch to WebSocket (Upgrade: websocket). */
export function asksForWebSocket (headers: Record<string, HeaderValue>): boolean {
  const upgrade = text(headers.upgrade)
  return upgrade !== undefined && tokens(upgrade).includes('websocket')
}

/** What is wrong with an upgrade to WebSocket, or undefined when ws can complete it. */
export function handshakeProblem (headers: Record<string, HeaderValue>): HandshakeProblem | undefined {
  const upgrade = text(headers.upgrade)
  if (upgrade === undefined || upgrade.trim().toLowerCase() !== 'websocket') {
    return { message: `Upgrade must be websocket (got ${upgrade === undefined ? 'none' : JSON.stringify(upgrade)})` }
  }
  const connection = text(headers.connection)
  if (connection === undefined || !tokens(connection).includes('upgrade')) {
    return { message: 'Connection must include upgrade' }
  }
  const key = text(headers['sec-websocket-key'])
  if (key === undefined || !KEY_RE.test(key.trim())) {
    return { message: 'Sec-WebSocket-Key must be 16 random bytes in base64 (24 characters ending in ==)' }
  }
  const version = text(headers['sec-websocket-version'])?.trim()
  if (version === undefined || !SUPPORTED_VERSIONS.includes(version)) {
    return {
      message: `Sec-WebSocket-Version ${version === undefined ? 'is missing' : `${JSON.stringify(version)} is not supported`}; use 13`,
      headers: { 'sec-websocket-version': SUPPORTED_VERSIONS.join(', ') }
    }
  }
  const protocol = text(headers['sec-websocket-protocol'])
  if (protocol !== undefined) {
    const names = protocol.split(',').map((s) => s.trim())
    if (names.some((n) => !TOKEN_RE.test(n)) || new Set(names).size !== names.length) {
      return { message: 'Sec-WebSocket-Protocol must be a comma list of distinct tokens' }
    }
  }
  return undefined
}
