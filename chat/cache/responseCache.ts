import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { cacheLookups } from '../../observability/metrics';
import type Redis from 'ioredis';

/**
 * Understanding results and answers, keyed by normalised text + context (entities in focus,
 * model). Two tiers: an in-process LRU (`lru-cache`, always), then Redis when REDIS_URL is set, so replicas
 * share hits. Hits and misses are counted per tier. A Redis failure is a miss, never an error:
 * the cache only ever saves work.
 */
export interface CacheStats {
  hits: number;
  misses: number;
  memoryHits: number;
  redisHits: number;
  sets: number;
  size: number;
}

export interface ResponseCacheOptions {
  maxEntries: number;
  ttlMs: number;
  redis?: Pick<Redis, 'get' | 'set'>;
  keyPrefix?: string;
  /** Label of copilot_cache_lookups_total (understanding, answer). */
  name?: string;
  now?: () => number;
}

/** "Show me  P95 latency for Checkout?" and "show me p95 latency for checkout" are one question. */
export function normaliseText(text: string): string {
  return text
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[?!.\s]+$/g, '')
    .trim();
}

export function cacheKey(kind: string, text: string, context: unknown): string {
  return createHash('sha256')
    .update(`${kind}\n${normaliseText(text)}\n${JSON.stringify(context ?? null)}`)
    .digest('hex');
}

export class ResponseCache {
  /** JSON text: a hit is a fresh copy, so a caller mutating its result cannot change the cache. */
  private readonly entries: LRUCache<string, string>;
  private readonly counters = { hits: 0, misses: 0, memoryHits: 0, redisHits: 0, sets: 0 };

  constructor(private readonly options: ResponseCacheOptions) {
    this.entries = new LRUCache<string, string>({
      max: options.maxEntries,
      ttl: options.ttlMs,
      // Read the clock on every check (no 1 ms caching): an injected clock may jump.
      ttlResolution: 0,
      ...(options.now ? { perf: { now: options.now } } : {}),
    });
  }

  stats(): CacheStats {
    return { ...this.counters, size: this.entries.size };
  }

  async get<T>(key: string): Promise<T | undefined> {
    // get() makes the entry the most recently used; an expired one is dropped and is a miss.
    const local = this.entries.get(key);
    if (local !== undefined) {
      this.counters.hits++;
      this.counters.memoryHits++;
      this.count('hit');
      return JSON.parse(local) as T;
    }
    if (this.options.redis) {
      try {
        const remote = await this.options.redis.get(this.redisKey(key));
        if (remote !== null) {
          this.entries.set(key, remote);
          this.counters.hits++;
          this.counters.redisHits++;
          this.count('hit');
          return JSON.parse(remote) as T;
        }
      } catch {
        // Redis down: a miss.
      }
    }
    this.counters.misses++;
    this.count('miss');
    return undefined;
  }

  private count(result: 'hit' | 'miss'): void {
    cacheLookups.inc({ cache: this.options.name ?? 'cache', result });
  }

  async set(key: string, value: unknown): Promise<void> {
    const text = JSON.stringify(value);
    this.entries.set(key, text);
    this.counters.sets++;
    if (this.options.redis) {
      await this.options.redis.set(this.redisKey(key), text, 'PX', this.options.ttlMs).catch(() => undefined);
    }
  }

  private redisKey(key: string): string {
    return `${this.options.keyPrefix ?? 'copilot:chat:cache:'}${key}`;
  }
}
