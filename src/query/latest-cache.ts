// Serialized bodies of "latest N" candle responses, the request every chart makes first, kept as
// UTF-8 bytes so a hit is written to the socket without encoding 37 KB again. The cache is bounded
// by the bytes it holds, not by its entry count: `limit` is the client's to choose, and 1,024
// distinct limits near 5,000 would otherwise pin ~350 KB each. Bodies are copied into a
// BodyArena, so the memory behind the budget is allocated once and reused (see body-arena.ts);
// a hit is a copy out of it, which is cheap next to reading and encoding the candles again. A
// body is dropped on any write to its symbol; a per-symbol version stops a read that raced a
// write from caching what it saw before the write.
import { LRUCache } from 'lru-cache'
import { BLOCK_BYTES, BodyArena, type ArenaBody } from './body-arena.js'

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
  private readonly bodies?: LRUCache<string, ArenaBody>
  private readonly arena?: BodyArena
  // One number per stored symbol; symbols come from the store's writes, not from requests.
  private readonly versions = new Map<string, number>()
  hits = 0
  misses = 0

  constructor (readonly maxBytes: number) {
    if (maxBytes >= BLOCK_BYTES) {
      const arena = new BodyArena(Math.floor(maxBytes / BLOCK_BYTES))
      this.arena = arena
      this.bodies = new LRUCache<string, ArenaBody>({
        maxSize: maxBytes,
        // A body larger than the whole budget is simply not cached.
        maxEntrySize: maxBytes,
        // Counted as the blocks it occupies, the memory it really keeps.
        sizeCalculation: (body, key) => body.blocks.length * BLOCK_BYTES + key.length + ENTRY_OVERHEAD_BYTES,
        dispose: (body) => { arena.release(body) }
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
    if (this.bodies === undefined || this.arena === undefined) return undefined
    const body = this.bodies.get(key)
    if (body === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    return this.arena.read(body)
  }

  /** Stores a copy of a body read while the symbol was at `version`; ignored if a write happened since. */
  set (symbol: string, key: string, version: number, body: Buffer): void {
    const { bodies, arena } = this
    if (bodies === undefined || arena === undefined || this.version(symbol) !== version) return
    const blocks = BodyArena.blocksFor(body.byteLength)
    if (blocks > arena.capacityBlocks || blocks * BLOCK_BYTES + key.length + ENTRY_OVERHEAD_BYTES > this.maxBytes) return
    bodies.delete(key)
    // Room first: the least recently used bodies give their blocks back until this one fits.
    while (arena.freeBlocks < blocks && bodies.pop() !== undefined);
    const stored = arena.store(body)
    if (stored !== undefined) bodies.set(key, stored)
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
