import Redis from 'ioredis';
import { cacheKey, normaliseText, ResponseCache } from '../../chat/cache/responseCache';

/** The understanding/answer cache: normalised keys, LRU + TTL in process, shared hits through real Redis. */
let redis: Redis;

beforeAll(() => {
  redis = new Redis(process.env.TEST_REDIS_URL!, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await redis.quit();
});

test('keys are the normalised text plus context', () => {
  expect(normaliseText('  Show me  P95 latency?? ')).toBe('show me p95 latency');
  expect(cacheKey('u', 'Show me P95 latency?', { focus: ['service=a'] })).toBe(cacheKey('u', 'show me p95 latency', { focus: ['service=a'] }));
  expect(cacheKey('u', 'show me p95 latency', { focus: ['service=a'] })).not.toBe(cacheKey('u', 'show me p95 latency', { focus: ['service=b'] }));
});

test('in-process tier: LRU eviction, TTL expiry, hit and miss counters', async () => {
  // Not 0: lru-cache reads a start time of 0 as "no TTL" (a real clock is never 0).
  let now = 10_000;
  const cache = new ResponseCache({ maxEntries: 2, ttlMs: 1000, now: () => now });
  await cache.set('a', { v: 1 });
  await cache.set('b', { v: 2 });
  expect(await cache.get('a')).toEqual({ v: 1 }); // a is now the most recent
  await cache.set('c', { v: 3 }); // evicts b
  expect(await cache.get('b')).toBeUndefined();
  now = 12_000;
  expect(await cache.get('a')).toBeUndefined();
  expect(cache.stats()).toMatchObject({ hits: 1, misses: 2, memoryHits: 1, redisHits: 0, sets: 3 });
});

test("Redis tier: a second replica gets the first one's entries, and a dead Redis is only a miss", async () => {
  const prefix = `test:${Date.now()}:`;
  const one = new ResponseCache({ maxEntries: 10, ttlMs: 60_000, redis, keyPrefix: prefix });
  const two = new ResponseCache({ maxEntries: 10, ttlMs: 60_000, redis, keyPrefix: prefix });
  await one.set('k', { intent: 'MetricQuery' });
  expect(await two.get('k')).toEqual({ intent: 'MetricQuery' });
  expect(await two.get('k')).toEqual({ intent: 'MetricQuery' });
  expect(two.stats()).toMatchObject({ hits: 2, redisHits: 1, memoryHits: 1 });
  expect(await redis.pttl(`${prefix}k`)).toBeGreaterThan(50_000);

  const dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  const offline = new ResponseCache({ maxEntries: 10, ttlMs: 60_000, redis: dead });
  await offline.set('x', 1);
  expect(await new ResponseCache({ maxEntries: 10, ttlMs: 60_000, redis: dead }).get('x')).toBeUndefined();
  dead.disconnect();
});
