// A loopback TCP relay between a client and a server, to break one client's connections while
// the server and its other clients carry on: `cut()` drops them and refuses new ones until
// `resume()`; `freeze()` keeps them open but stops relaying; `partition()` is a silent network
// partition as both ends would live it.
import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'

interface Link {
  client: Socket
  /** None for a connection made during a partition: it never reaches the server. */
  upstream?: Socket
}

export class TcpProxy {
  private readonly links = new Set<Link>()
  private refusing = false
  private frozen = false
  private partitioned = false
  private serverNotices?: NodeJS.Timeout

  private constructor (private readonly server: Server, readonly port: number, private readonly targetPort: number) {}

  static async start (targetPort: number): Promise<TcpProxy> {
    const server = createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const proxy = new TcpProxy(server, (server.address() as { port: number }).port, targetPort)
    server.on('connection', (client) => proxy.relay(client))
    return proxy
  }

  /** `url` (of the server: redis://…, postgres://…) with the relay as its host and port. */
  via (url: string): string {
    const relayed = new URL(url)
    relayed.hostname = '127.0.0.1'
    relayed.port = String(this.port)
    return relayed.toString()
  }

  get connections (): number {
    return this.links.size
  }

  cut (): void {
    this.refusing = true
    for (const link of [...this.links]) this.drop(link)
  }

  freeze (): void {
    this.frozen = true
  }

  /**
   * From now on nothing is relayed and new connections reach nothing, while every client socket
   * stays open: the client hears nothing more, as across a real partition. The server's sockets
   * are ended after `serverNoticesMs`. Across a real partition the server's keepalive probes (or
   * its unacknowledged data) go unanswered and it ends the session by itself within seconds;
   * through a loopback relay the relay's own kernel would answer them and the session would live
   * on, so the relay ends it in the server's stead. The default is what the server's failover
   * settings (keepalives after 2 s idle, 3 probes 1 s apart, tcp_user_timeout 5 s) come to.
   */
  partition (serverNoticesMs = 5000): void {
    this.partitioned = true
    clearTimeout(this.serverNotices)
    this.serverNotices = setTimeout(() => {
      for (const link of this.links) link.upstream?.destroy()
    }, serverNoticesMs)
  }

  /**
   * Relays again. After a partition its client sockets are dropped (what they sent meanwhile was
   * lost, and their server ends may be gone): the clients notice and connect afresh.
   */
  resume (): void {
    if (this.partitioned) {
      clearTimeout(this.serverNotices)
      this.partitioned = false
      for (const link of [...this.links]) this.drop(link)
    }
    this.refusing = false
    this.frozen = false
  }

  async close (): Promise<void> {
    this.cut()
    clearTimeout(this.serverNotices)
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private drop (link: Link): void {
    link.client.destroy()
    link.upstream?.destroy()
    this.links.delete(link)
  }

  private relay (client: Socket): void {
    if (this.refusing) {
      client.destroy()
      return
    }
    const link: Link = { client }
    this.links.add(link)
    // Across a partition neither end hears of the other going away (a client's goodbye, the server
    // ending an idle transaction's session): each end lives on until the partition heals.
    const gone = (socket: Socket) => () => { if (this.partitioned) socket.destroy(); else this.drop(link) }
    client.on('error', gone(client))
    client.on('close', gone(client))
    if (this.partitioned) return
    const upstream = connect({ host: '127.0.0.1', port: this.targetPort })
    link.upstream = upstream
    const silent = () => this.frozen || this.partitioned
    client.on('data', (chunk) => { if (!silent()) upstream.write(chunk) })
    upstream.on('data', (chunk) => { if (!silent()) client.write(chunk) })
    upstream.on('error', gone(upstream))
    upstream.on('close', gone(upstream))
  }
}
