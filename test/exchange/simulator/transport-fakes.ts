// Stand-ins for node:http's request and response, enough for the simulator's REST handlers to be
// driven without a server: a request with a method, headers and a body, and a response that
// records what was written.
import type { IncomingMessage, ServerResponse } from 'node:http'

export interface Written {
  status: number
  headers: Record<string, string>
  body: unknown
}

export class FakeResponse {
  written: Written | undefined
  destroyed = false
  writableEnded = false

  writeHead (status: number, headers: Record<string, string>): this {
    this.written = { status, headers, body: undefined }
    return this
  }

  end (text: string): void {
    this.writableEnded = true
    if (this.written !== undefined) this.written.body = JSON.parse(text)
  }

  get res (): ServerResponse {
    return this as unknown as ServerResponse
  }
}

export function fakeRequest (method: string, headers: Record<string, string> = {}, body: Buffer[] = []): IncomingMessage {
  return {
    method,
    headers,
    async * [Symbol.asyncIterator] () { yield * body }
  } as unknown as IncomingMessage
}
