// A loopback TCP relay between a client and a server, to break one client's connections while
// the server and its other clients carry on: `cut()` drops them and refuses new ones until
// `resume()`; `freeze()` keeps them open but stops relaying (a silent partition).
import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'

export class TcpProxy {
  private readonly pairs = new Set<[Socket, Socket]>()
  private refusing = false
  private frozen = false

  private constructor (private readonly server: Server, readonly port: number) {}

  static async start (targetPort: number): Promise<TcpProxy> {
    const server = createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const proxy = new TcpProxy(server, (server.address() as { port: number }).port)
    server.on('connection', (client) => proxy.relay(client, targetPort))
    return proxy
  }

  get url (): string {
    return `redis://127.0.0.1:${this.port}`
  }

  get connections (): number {
    return this.pairs.size
  }

  cut (): void {
    this.refusing = true
    for (const [a, b] of this.pairs) {
      a.destroy()
      b.destroy()
    }
    this.pairs.clear()
  }

  freeze (): void {
    this.frozen = true
  }

  resume (): void {
    this.refusing = false
    this.frozen = false
  }

  async close (): Promise<void> {
    this.cut()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private relay (client: Socket, targetPort: number): void {
    if (this.refusing) {
      client.destroy()
      return
    }
    const upstream = connect({ host: '127.0.0.1', port: targetPort })
    const pair: [Socket, Socket] = [client, upstream]
    this.pairs.add(pair)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      this.pairs.delete(pair)
    }
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      from.on('data', (chunk) => { if (!this.frozen) to.write(chunk) })
      from.on('error', drop)
      from.on('close', drop)
    }
  }
}
