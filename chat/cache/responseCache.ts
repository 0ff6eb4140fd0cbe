import { createHash } from 'node:crypto';
import { cacheLookups } from '../../observability/metrics';
import type Redis from 'ioredis';

/**
 * Understanding results and answers, keyed by normalised text + context (entities in focus,
 * model). Two tiers: an in-process LRU (always), then Redis when REDIS_URL is set, so replicas
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
  return text.toLowerCase().replace(/\s+/g, ' ').replace(/[?!.\s]+$/g, '').trim();
}

export function cacheKey(kind: string, text: string, context: unknown): string {
  return createHash('sha256').update(`${kind}\n${normaliseText(text)}\n${JSON.stringify(context ?? null)}`).digest('hex');
}

export class ResponseCache {
  private readonly entries = new Map<string, { value: string; expires: number }>();
  private readonly now: () => number;
  private readonly counters = { hits: 0, misses: 0, memoryHits: 0, redisHits: 0, sets: 0 };

  constructor(private readonly options: ResponseCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  stats(): CacheStats {
    return { ...this.counters, size: this.entries.size };
  }

  async get<T>(key: string): Promise<T | undefined> {
    const local = this.entries.get(key);
    if (local && local.expires > this.now()) {
      // Re-insert: Map keeps insertion order, so this makes it the most recently used.
      this.entries.delete(key);
      this.entries.set(key, local);
      this.counters.hits++;
      this.counters.memoryHits++;
      this.count('hit');
      return JSON.parse(local.value) as T;
    }
    if (local) this.entries.delete(key);
    if (this.options.redis) {
      try {
        const remote = await this.options.redis.get(this.redisKey(key));
        if (remote !== null) {
          this.remember(key, remote);
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
    this.remember(key, text);
    this.counters.sets++;
    if (this.options.redis) {
      await this.options.redis.set(this.redisKey(key), text, 'PX', this.options.ttlMs).catch(() => undefined);
    }
  }

  private remember(key: string, value: string): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.now() + this.options.ttlMs });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  private redisKey(key: string): string {
    return `${this.options.keyPrefix ?? 'copilot:chat:cache:'}${key}`;
  }
}
