// The block arena behind the latest-N cache: blocks are reused, never allocated past capacity,
// and a stored body reads back byte for byte.
import fc from 'fast-check'
import t from 'tap'
import { BLOCK_BYTES, BodyArena, type ArenaBody } from '../../src/query/body-arena.js'

t.test('the arena reuses the blocks of dropped bodies and never allocates past its capacity', async (t) => {
  const arena = new BodyArena(100)
  const a = arena.store(Buffer.alloc(60 * BLOCK_BYTES, 1))!
  t.equal(arena.allocatedBlocks, 60)
  t.equal(arena.store(Buffer.alloc(41 * BLOCK_BYTES)), undefined, 'does not fit in the 40 left')
  arena.release(a)
  const b = arena.store(Buffer.alloc(90 * BLOCK_BYTES + 1, 2))!
  t.equal(arena.allocatedBlocks, 91, 'the 60 freed blocks reused, 31 new ones')
  t.ok(arena.read(b).equals(Buffer.alloc(90 * BLOCK_BYTES + 1, 2)))
  arena.release(b)
  arena.release(b)
  t.equal(arena.freeBlocks, 100, 'releasing twice frees once')
})

t.test('any sequence of stores and releases: live bodies read back intact and never share a block', async (t) => {
  let refused = 0
  const op = fc.oneof(
    fc.record({ kind: fc.constant('store' as const), length: fc.integer({ min: 0, max: 6 * BLOCK_BYTES + 7 }) }),
    fc.record({ kind: fc.constant('release' as const), pick: fc.nat() })
  )
  fc.assert(fc.property(fc.integer({ min: 0, max: 600 }), fc.array(op, { maxLength: 80 }), (capacity, ops) => {
    const arena = new BodyArena(capacity)
    const live: Array<{ stored: ArenaBody, body: Buffer }> = []
    let serial = 0
    for (const o of ops) {
      if (o.kind === 'store') {
        const body = Buffer.alloc(o.length, serial++ % 251)
        const fits = BodyArena.blocksFor(o.length) <= arena.freeBlocks
        const stored = arena.store(body)
        if ((stored !== undefined) !== fits) return false
        if (stored === undefined) refused++
        if (stored !== undefined) live.push({ stored, body })
      } else if (live.length > 0) {
        const [gone] = live.splice(o.pick % live.length, 1)
        arena.release(gone!.stored)
      }
      const used = live.reduce((n, l) => n + l.stored.blocks.length, 0)
      const blocks = new Set(live.flatMap((l) => [...l.stored.blocks]))
      if (blocks.size !== used || arena.freeBlocks !== capacity - used || arena.allocatedBlocks > capacity) return false
      if (!live.every((l) => arena.read(l.stored).equals(l.body))) return false
    }
    return true
  }), { numRuns: 300 })
  t.ok(refused > 0, `the sequences filled arenas too (${refused} bodies refused)`)
})
