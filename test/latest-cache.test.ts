import t from 'tap'
import { randomBytes } from 'node:crypto'
import { BLOCK_BYTES, BodyArena } from '../src/query/body-arena.js'
import { LatestBodyCache } from '../src/query/latest-cache.js'
import { json, seededStore, testApp } from './helpers.js'
import { waitFor } from './ingest-helpers.js'

const MiB = 1024 * 1024

t.test('the cache holds bytes up to its budget, whatever the number of entries', async (t) => {
  const cache = new LatestBodyCache(4 * MiB)
  const body = Buffer.alloc(300 * 1024, 'x')
  for (let limit = 3977; limit <= 5000; limit++) {
    const key = LatestBodyCache.key('BTCUSDT', '1m', limit)
    cache.set('BTCUSDT', key, cache.version('BTCUSDT'), body)
    t.ok(cache.bytes <= 4 * MiB, 'never over the budget') || t.bailout(`${cache.bytes} bytes after limit ${limit}`)
  }
  t.equal(cache.size, 13, 'as many 300 KiB bodies as fit in 4 MiB')
  t.ok(cache.bytes > 3.5 * MiB, `the budget is used (${cache.bytes} bytes)`)
  t.equal(cache.get(LatestBodyCache.key('BTCUSDT', '1m', 3977)), undefined, 'the oldest were dropped')
  t.ok(cache.get(LatestBodyCache.key('BTCUSDT', '1m', 5000))?.equals(body), 'the newest are served')
  t.match(cache.stats(), { entries: 13, max_bytes: 4 * MiB, hits: 1, misses: 1 })
})

t.test('least recently used goes first', async (t) => {
  const cache = new LatestBodyCache(3 * (BLOCK_BYTES + 300))
  const body = Buffer.alloc(4000)
  const key = (n: number) => LatestBodyCache.key('ETHUSDT', '1h', n)
  for (const n of [1, 2, 3]) cache.set('ETHUSDT', key(n), 0, body)
  t.ok(cache.get(key(1)) !== undefined, 'read 1, so 2 is now the least recently used')
  cache.set('ETHUSDT', key(4), 0, body)
  t.ok(cache.get(key(1)) !== undefined)
  t.equal(cache.get(key(2)), undefined)
  t.ok(cache.get(key(4)) !== undefined)
})

t.test('a body larger than the budget is not cached; a budget of 0 caches nothing', async (t) => {
  const small = new LatestBodyCache(3 * BLOCK_BYTES)
  small.set('BTCUSDT', 'k', 0, Buffer.alloc(3 * BLOCK_BYTES))
  t.equal(small.size, 0, 'its blocks and bookkeeping exceed the budget')
  t.equal(small.bytes, 0)
  small.set('BTCUSDT', 'k', 0, Buffer.alloc(2 * BLOCK_BYTES))
  t.equal(small.size, 1, 'one that fits is kept')
  const off = new LatestBodyCache(0)
  off.set('BTCUSDT', 'k', 0, Buffer.alloc(10))
  t.equal(off.get('k'), undefined)
  t.same(off.stats(), { entries: 0, bytes: 0, max_bytes: 0, hits: 0, misses: 0 })
})

t.test('a hit is a copy of the stored bytes, whatever their length', async (t) => {
  const cache = new LatestBodyCache(MiB)
  const lengths = [0, 1, BLOCK_BYTES - 1, BLOCK_BYTES, BLOCK_BYTES + 1, 300_001]
  const bodies = lengths.map((n) => randomBytes(n))
  bodies.forEach((body, i) => { cache.set('BTCUSDT', `k${i}`, 0, body) })
  bodies.forEach((body, i) => { t.ok(cache.get(`k${i}`)?.equals(body), `${body.byteLength} bytes`) })
  const hit = cache.get('k5')!
  hit.fill(0)
  t.ok(cache.get('k5')?.equals(bodies[5]!), 'changing a served body does not change the cached one')
  const pooled = Buffer.from('{"symbol":"BTCUSDT","interval":"1m","data":[]}')
  t.ok(pooled.buffer.byteLength > pooled.byteLength, 'Node cut this one from a shared slab')
  cache.set('BTCUSDT', 'pooled', 0, pooled)
  t.equal(cache.bytes, cache.stats().bytes)
  t.equal(cache.get('pooled')?.toString(), pooled.toString(), 'the cache keeps a copy, not the slab')
})

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
  const cache = new LatestBodyCache(4 * MiB)
  for (let limit = 3977; limit <= 5000; limit++) {
    cache.set('BTCUSDT', LatestBodyCache.key('BTCUSDT', '1m', limit), 0, Buffer.alloc(300_000 + limit))
  }
  t.ok(cache.bytes <= 4 * MiB, `${cache.bytes} bytes cached`)
})

t.test('a write to the symbol drops its bodies, and a read that raced the write is not cached', async (t) => {
  const cache = new LatestBodyCache(MiB)
  const v = cache.version('BTCUSDT')
  cache.set('BTCUSDT', LatestBodyCache.key('BTCUSDT', '1m', 5), v, Buffer.alloc(10))
  cache.set('ETHUSDT', LatestBodyCache.key('ETHUSDT', '1m', 5), 0, Buffer.alloc(10))
  cache.invalidate('BTCUSDT')
  t.equal(cache.size, 1, 'ETHUSDT kept')
  cache.set('BTCUSDT', LatestBodyCache.key('BTCUSDT', '1m', 6), v, Buffer.alloc(10))
  t.equal(cache.size, 1, 'read before the write: not cached')
})

t.test('LATEST_CACHE_MAX_BYTES bounds the service\'s cache; /stats and /metrics show its size', async (t) => {
  const store = await seededStore(t, ['BTCUSDT'], 2)
  const budget = 200_000
  const app = await testApp(t, { LATEST_CACHE_MAX_BYTES: budget }, { store })
  for (let limit = 1000; limit < 1040; limit++) {
    const res = await app.inject(`/api/v1/candles?symbol=BTCUSDT&interval=1m&limit=${limit}`)
    t.equal(res.statusCode, 200) || t.bailout(res.body)
  }
  const stats = json(await app.inject('/stats')).cache
  t.ok(stats.entries >= 1 && stats.entries < 40, `${stats.entries as number} of 40 bodies kept`)
  t.ok(stats.bytes > budget / 2 && stats.bytes <= budget, `${stats.bytes as number} bytes within the budget`)
  t.equal(stats.max_bytes, budget)
  t.equal(stats.misses, 40)
  const metrics = (await app.inject('/metrics')).body
  t.match(metrics, new RegExp(`^tvapi_candle_cache_max_bytes ${budget}$`, 'm'))
  t.match(metrics, new RegExp(`^tvapi_candle_cache_entries ${stats.entries as number}$`, 'm'))
  t.match(metrics, new RegExp(`^tvapi_candle_cache_bytes ${stats.bytes as number}$`, 'm'))

  const off = await testApp(t, { LATEST_CACHE_MAX_BYTES: 0 }, { store })
  const url = '/api/v1/candles?symbol=BTCUSDT&interval=1m&limit=5'
  const a = await off.inject(url)
  const b = await off.inject(url)
  t.equal(a.body, b.body, 'the same answer without a cache')
  await waitFor(() => off.routeLatency.snapshot()['GET /api/v1/candles']?.requests === 2, 30_000, 'both timings')
  t.match(json(await off.inject('/stats')).cache, { entries: 0, bytes: 0, max_bytes: 0, hits: 0 })
})
