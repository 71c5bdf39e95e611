// Serialized bodies of "latest N" candle responses, the request every chart makes first, kept as
// UTF-8 bytes so a hit is written to the socket without encoding 37 KB again. A body is dropped on
// any write to its symbol; a per-symbol version stops a read that raced a write from caching what
// it saw before the write.

export class LatestBodyCache {
  private readonly bodies = new Map<string, Buffer>()
  private readonly versions = new Map<string, number>()
  hits = 0
  misses = 0

  constructor (private readonly maxEntries = 512) {}

  static key (symbol: string, interval: string, limit: number): string {
    return `${symbol}|${interval}|${limit}`
  }

  version (symbol: string): number {
    return this.versions.get(symbol) ?? 0
  }

  get (key: string): Buffer | undefined {
    const body = this.bodies.get(key)
    if (body === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    // Re-insert so Map order tracks recency (least recently used first).
    this.bodies.delete(key)
    this.bodies.set(key, body)
    return body
  }

  /** Stores a body read while the symbol was at `version`; ignored if a write happened since. */
  set (symbol: string, key: string, version: number, body: Buffer): void {
    if (this.version(symbol) !== version) return
    this.bodies.set(key, body)
    while (this.bodies.size > this.maxEntries) {
      this.bodies.delete(this.bodies.keys().next().value as string)
    }
  }

  invalidate (symbol: string): void {
    this.versions.set(symbol, this.version(symbol) + 1)
    const prefix = `${symbol}|`
    for (const key of this.bodies.keys()) {
      if (key.startsWith(prefix)) this.bodies.delete(key)
    }
  }

  get size (): number {
    return this.bodies.size
  }
}
