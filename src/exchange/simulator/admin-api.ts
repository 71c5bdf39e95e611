// The simulator's own /sim endpoints, for tests and demos driving it from another process: read
// or advance a ManualClock, switch faults on. Not part of Binance's API.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ManualClock, type SimClock } from './clock.js'
import type { Faults } from './faults.js'

export interface AdminContext {
  clock: SimClock
  faults: Faults
  send: (res: ServerResponse, status: number, body: unknown) => void
}

const MAX_ADMIN_BODY = 64 * 1024

async function readBody (req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > MAX_ADMIN_BODY) throw new RangeError('request body too large')
    chunks.push(buf)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export async function handleAdmin (req: IncomingMessage, res: ServerResponse, url: URL, ctx: AdminContext): Promise<void> {
  const { clock, faults, send } = ctx
  const route = `${req.method ?? ''} ${url.pathname}`
  if (route === 'GET /sim/clock') {
    send(res, 200, { now: clock.now() })
  } else if (route === 'POST /sim/clock/advance') {
    if (!(clock instanceof ManualClock)) {
      send(res, 409, { code: -1, msg: 'The simulator clock is not a ManualClock.' })
      return
    }
    const ms = Number(url.searchParams.get('ms'))
    if (!Number.isFinite(ms) || ms < 0) {
      send(res, 400, { code: -1, msg: "Parameter 'ms' must be a non-negative number." })
      return
    }
    send(res, 200, { now: clock.advance(ms) })
  } else if (route === 'POST /sim/faults') {
    try {
      const text = await readBody(req)
      faults.apply(text.trim() === '' ? {} : JSON.parse(text))
    } catch (error) {
      send(res, 400, { code: -1, msg: (error as Error).message })
      return
    }
    send(res, 200, { ok: true })
  } else {
    send(res, 404, { code: -1, msg: `Unknown endpoint ${route}` })
  }
}
