// Serialized bodies of "latest N" candle responses, the request every chart makes first, kept as
// UTF-8 bytes so a hit is written to the socket without encoding 37 KB again. The cache is bounded
// by the bytes it holds, not by its entry count: `limit` is the client's to choose, and 1,024
// distinct limits near 5,000 would otherwise pin ~350 KB each. A body is dropped on any write to
// its symbol; a per-symbol version stops a read that raced a write from caching what it saw
// before the write.
import { LRUCache } from 'lru-cache'

/** Bytes an entry costs besides its body: the key string and the cache's own bookkeeping. */
const ENTRY_OVERHEAD_BYTES = 256

export interface LatestCacheStats {
  entries: number
  bytes: number
  max_bytes: number
  hits: number
  misses: number
}

export class LatestBodyCache {
  /** Undefined when the budget is 0: nothing is cached. */
  private readonly bodies?: LRUCache<string, Buffer>
  // One number per stored symbol; symbols come from the store's writes, not from requests.
  private readonly versions = new Map<string, number>()
  hits = 0
  misses = 0

  constructor (readonly maxBytes: number) {
    if (maxBytes > 0) {
      this.bodies = new LRUCache<string, Buffer>({
        maxSize: maxBytes,
        // A body larger than the whole budget is simply not cached.
        maxEntrySize: maxBytes,
        sizeCalculation: (body, key) => body.byteLength + key.length + ENTRY_OVERHEAD_BYTES
      })
    }
  }

  static key (symbol: string, interval: string, limit: number): string {
    return `${symbol}|${interval}|${limit}`
  }

  version (symbol: string): number {
    return this.versions.get(symbol) ?? 0
  }

  get (key: string): Buffer | undefined {
    if (this.bodies === undefined) return undefined
    const body = this.bodies.get(key)
    if (body === undefined) this.misses++
    else this.hits++
    return body
  }

  /** Stores a body read while the symbol was at `version`; ignored if a write happened since. */
  set (symbol: string, key: string, version: number, body: Buffer): void {
    if (this.bodies === undefined || this.version(symbol) !== version) return
    this.bodies.set(key, ownBytes(body))
  }

  invalidate (symbol: string): void {
    this.versions.set(symbol, this.version(symbol) + 1)
    if (this.bodies === undefined) return
    const prefix = `${symbol}|`
    for (const key of [...this.bodies.keys()]) {
      if (key.startsWith(prefix)) this.bodies.delete(key)
    }
  }

  get size (): number {
    return this.bodies?.size ?? 0
  }

  /** Bytes counted against the budget (bodies plus a fixed cost per entry). */
  get bytes (): number {
    return this.bodies?.calculatedSize ?? 0
  }

  stats (): LatestCacheStats {
    return { entries: this.size, bytes: this.bytes, max_bytes: this.maxBytes, hits: this.hits, misses: this.misses }
  }
}

/**
 * A body that owns its memory. Node carves small Buffers (under 4 KB) out of shared 8 KB slabs, so
 * caching a slice would keep a whole slab alive and the byte count would understate what is held.
 */
function ownBytes (body: Buffer): Buffer {
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) return body
  const own = Buffer.allocUnsafeSlow(body.byteLength)
  body.copy(own)
  return own
}
