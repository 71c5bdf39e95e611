// Fixed-size blocks that cached bodies are copied into, allocated once in slabs and reused, never
// handed back to the allocator. A cached body lives long enough to reach V8's old generation, so a
// Buffer per body would be freed only at a full collection, which V8 starts after ~64 MiB of such
// garbage; and glibc serves those ~300 KB allocations from its heap once its mmap threshold has
// risen, where freed ones interleave with live ones and stay resident. Blocks instead are reused
// the moment a body is dropped, so what the cache holds in memory is its budget, rounded to slabs.

/** Block size: the most a body wastes is one block less a byte. */
export const BLOCK_BYTES = 4096
/** Blocks are allocated this many at a time, as the cache fills. */
const SLAB_BLOCKS = 256

/** A body's place in the arena: its blocks in order and its length in bytes. */
export interface ArenaBody {
  blocks: Uint32Array
  length: number
}

export class BodyArena {
  private readonly slabs: Buffer[] = []
  /** Free block numbers, used as a stack. */
  private readonly free: number[] = []
  private allocated = 0

  constructor (readonly capacityBlocks: number) {}

  static blocksFor (length: number): number {
    return Math.ceil(length / BLOCK_BYTES)
  }

  /** Blocks taken from the allocator so far; never more than the capacity. */
  get allocatedBlocks (): number {
    return this.allocated
  }

  get freeBlocks (): number {
    return this.free.length + this.capacityBlocks - this.allocated
  }

  /** Copies `body` into free blocks; undefined when fewer than it needs are free. */
  store (body: Buffer): ArenaBody | undefined {
    const count = BodyArena.blocksFor(body.byteLength)
    if (count > this.freeBlocks) return undefined
    const blocks = new Uint32Array(count)
    for (let i = 0; i < count; i++) {
      const block = this.take()
      blocks[i] = block
      const start = i * BLOCK_BYTES
      body.copy(this.slab(block), this.offset(block), start, Math.min(start + BLOCK_BYTES, body.byteLength))
    }
    return { blocks, length: body.byteLength }
  }

  /**
   * A copy of a stored body in a Buffer of its own. The copy, not a view, is handed out: a view's
   * blocks could be reused for another body while a socket is still writing it.
   */
  read (stored: ArenaBody): Buffer {
    const out = Buffer.allocUnsafe(stored.length)
    for (let i = 0; i < stored.blocks.length; i++) {
      const start = i * BLOCK_BYTES
      const block = stored.blocks[i]!
      const offset = this.offset(block)
      this.slab(block).copy(out, start, offset, offset + Math.min(BLOCK_BYTES, stored.length - start))
    }
    return out
  }

  release (stored: ArenaBody): void {
    for (const block of stored.blocks) this.free.push(block)
    stored.blocks = new Uint32Array(0)
  }

  private take (): number {
    const reused = this.free.pop()
    if (reused !== undefined) return reused
    if (this.allocated % SLAB_BLOCKS === 0) {
      const blocks = Math.min(SLAB_BLOCKS, this.capacityBlocks - this.allocated)
      this.slabs.push(Buffer.allocUnsafeSlow(blocks * BLOCK_BYTES))
    }
    return this.allocated++
  }

  private slab (block: number): Buffer {
    return this.slabs[Math.floor(block / SLAB_BLOCKS)]!
  }

  private offset (block: number): number {
    return (block % SLAB_BLOCKS) * BLOCK_BYTES
  }
}
