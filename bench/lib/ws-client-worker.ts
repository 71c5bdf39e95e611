// A child process holding many real `ws` clients of the service's /ws, driven over IPC by
// ws-pool.ts. Splitting clients over processes spreads the receive work (one event loop reads
// sockets one after another, so a single process would add its own queueing to the latency of
// the last clients). On receipt a message is only timestamped and kept; it is parsed later, so
// parsing one client's message does not delay the timestamp of the next.
import WebSocket, { type RawData } from 'ws'
import { monoMs, wallMs } from './stats.js'

interface Topic { symbol: string, interval: string }

interface Client {
  index: number
  ws: WebSocket
  closedUnexpectedly: boolean
  closeCode?: number
}

type Mode = 'off' | 'mono' | 'wall' | 'count'

const clients: Client[] = []
let mode: Mode = 'off'
let closing = false
let times: number[] = []
let bufs: Buffer[] = []
let owners: number[] = []
let count = 0
let first = Number.POSITIVE_INFINITY
let last = Number.NEGATIVE_INFINITY

function toBuffer (data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}

function onMessage (c: Client, data: RawData): void {
  if (mode === 'off') return
  // Timestamp first: everything after it is bookkeeping.
  if (mode === 'count') {
    const t = monoMs()
    count++
    if (t < first) first = t
    last = t
    return
  }
  times.push(mode === 'mono' ? monoMs() : wallMs())
  bufs.push(toBuffer(data))
  owners.push(c.index)
}

function connectOne (url: string, index: number, topic: Topic, timeoutMs: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true })
    const c: Client = { index, ws, closedUnexpectedly: false }
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`client ${index}: not subscribed within ${timeoutMs} ms`))
    }, timeoutMs)
    const onSetup = (data: RawData): void => {
      const m = JSON.parse(toBuffer(data).toString()) as { type?: string, error?: string, message?: string }
      if (m.type === 'subscribed') {
        clearTimeout(timer)
        ws.off('message', onSetup)
        ws.on('message', (d: RawData) => onMessage(c, d))
        resolve(c)
      } else if (m.type === 'error') {
        clearTimeout(timer)
        ws.terminate()
        reject(new Error(`client ${index}: ${m.error ?? ''} ${m.message ?? ''}`))
      }
    }
    ws.on('message', onSetup)
    ws.on('open', () => ws.send(JSON.stringify({ event: 'subscribe', symbol: topic.symbol, interval: topic.interval })))
    ws.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    ws.on('close', (code) => {
      if (!closing) {
        c.closedUnexpectedly = true
        c.closeCode = code
      }
    })
  })
}

async function connect (url: string, indexes: number[], topics: Topic[], concurrency: number): Promise<Record<string, unknown>> {
  const started = performance.now()
  let next = 0
  let failed = 0
  const errors: string[] = []
  const lane = async (): Promise<void> => {
    while (next < indexes.length) {
      const index = indexes[next++]!
      try {
        clients.push(await connectOne(url, index, topics[index % topics.length]!, 60_000))
      } catch (err) {
        failed++
        if (errors.length < 5) errors.push((err as Error).message)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane))
  return { connected: indexes.length - failed, failed, errors, ms: performance.now() - started }
}

function resetRecording (m: Mode): void {
  mode = m
  times = []
  bufs = []
  owners = []
  count = 0
  first = Number.POSITIVE_INFINITY
  last = Number.NEGATIVE_INFINITY
}

/** Parses what was recorded: candle messages only, as parallel arrays. */
function collect (): Record<string, unknown> {
  const t: number[] = []
  const client: number[] = []
  const ts: number[] = []
  const close: number[] = []
  const volume: number[] = []
  const final: number[] = []
  for (let i = 0; i < bufs.length; i++) {
    const m = JSON.parse(bufs[i]!.toString()) as { type?: string, data?: number[], final?: boolean }
    if (m.type !== 'candle' || m.data === undefined) continue
    t.push(times[i]!)
    client.push(owners[i]!)
    ts.push(m.data[0]!)
    close.push(m.data[4]!)
    volume.push(m.data[5]!)
    final.push(m.final === true ? 1 : 0)
  }
  const recorded = bufs.length
  resetRecording('off')
  return { recorded, t, client, ts, close, volume, final }
}

function status (): Record<string, unknown> {
  const codes: Record<string, number> = {}
  let open = 0
  let unexpected = 0
  for (const c of clients) {
    if (c.ws.readyState === WebSocket.OPEN) open++
    if (c.closedUnexpectedly) {
      unexpected++
      codes[String(c.closeCode)] = (codes[String(c.closeCode)] ?? 0) + 1
    }
  }
  return { clients: clients.length, open, unexpectedCloses: unexpected, closeCodes: codes }
}

async function closeAll (): Promise<Record<string, unknown>> {
  closing = true
  const before = status()
  await Promise.all(clients.map((c) => new Promise<void>((resolve) => {
    if (c.ws.readyState === WebSocket.CLOSED) return resolve()
    const timer = setTimeout(() => { c.ws.terminate(); resolve() }, 5000)
    c.ws.once('close', () => { clearTimeout(timer); resolve() })
    c.ws.close(1000, 'benchmark done')
  })))
  clients.length = 0
  closing = false
  return before
}

type Handler = (msg: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>

const handlers: Record<string, Handler> = {
  connect: async (m) => await connect(m.url as string, m.indexes as number[], m.topics as Topic[], m.concurrency as number),
  record: (m) => { resetRecording(m.mode as Mode); return {} },
  collect: () => collect(),
  count: () => ({ count, first, last }),
  status: () => status(),
  closeAll: async () => await closeAll()
}

process.on('message', (raw) => {
  const msg = raw as { id: number, cmd: string } & Record<string, unknown>
  const handler = handlers[msg.cmd]
  Promise.resolve()
    .then(() => {
      if (handler === undefined) throw new Error(`unknown command ${msg.cmd}`)
      return handler(msg)
    })
    .then(
      (result) => process.send?.({ id: msg.id, ok: true, ...result }),
      (err: unknown) => process.send?.({ id: msg.id, ok: false, error: (err as Error).message })
    )
})
// The benchmark went away: so do its clients.
process.on('disconnect', () => process.exit(0))
process.send?.({ ev: 'ready' })
