// The latest-N body cache: bounded by bytes, least recently used first, dropped on writes.
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import t from 'tap'
import { BLOCK_BYTES } from '../../src/query/body-arena.js'
import { LatestBodyCache } from '../../src/query/latest-cache.js'
import { json, seededStore, testApp } from '../helpers.js'
import { waitFor } from '../ingest/ingest-helpers.js'

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

t.test('many distinct limits never push the cache past its budget', async (t) => {
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

t.test('any sequence of sets, gets and writes: within budget, and a hit is a body set under its key since the last write', async (t) => {
  let hits = 0
  const symbols = ['BTCUSDT', 'ETHUSDT']
  const op = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), symbol: fc.constantFrom(...symbols), limit: fc.integer({ min: 1, max: 3 }), length: fc.integer({ min: 0, max: 3 * BLOCK_BYTES }), stale: fc.integer({ min: 0, max: 4 }).map((n) => n === 0) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), symbol: fc.constantFrom(...symbols), limit: fc.integer({ min: 1, max: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('write' as const), symbol: fc.constantFrom(...symbols) }) }
  )
  // Budgets from none (below one block) to a few bodies' worth.
  fc.assert(fc.property(fc.integer({ min: 0, max: 16 * BLOCK_BYTES }), fc.array(op, { minLength: 10, maxLength: 60 }), (maxBytes, ops) => {
    const cache = new LatestBodyCache(maxBytes)
    // The bodies a hit may return: those set under its key since the last write to its symbol
    // (they were all read at the same version, so any of them is current).
    const current = new Map<string, Buffer[]>()
    const write = (symbol: string) => {
      cache.invalidate(symbol)
      for (const key of current.keys()) if (key.startsWith(`${symbol}|`)) current.delete(key)
    }
    let serial = 0
    for (const o of ops) {
      if (o.kind === 'write') {
        write(o.symbol)
        continue
      }
      const key = LatestBodyCache.key(o.symbol, '1m', o.limit)
      if (o.kind === 'set') {
        const body = Buffer.alloc(o.length, serial++ % 251)
        const version = cache.version(o.symbol)
        // A stale read: the symbol was written between the read and the set, which is ignored.
        if (o.stale) write(o.symbol)
        cache.set(o.symbol, key, version, body)
        if (!o.stale) current.set(key, [...current.get(key) ?? [], body])
      } else {
        const hit = cache.get(key)
        if (hit !== undefined) {
          hits++
          if (!(current.get(key) ?? []).some((body) => body.equals(hit))) return false
        }
      }
      if (cache.bytes > maxBytes) return false
    }
    return true
  }), { numRuns: 500 })
  t.ok(hits > 100, `the sequences hit the cache (${hits} hits)`)
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
