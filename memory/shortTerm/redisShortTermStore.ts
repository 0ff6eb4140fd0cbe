import type Redis from 'ioredis';
import { createRedisClient } from '../../config/redisClient';
import type { FocusEntity, Turn } from '../types';
import type { ShortTermOptions, ShortTermStore } from './shortTermStore';

/**
 * Redis layout per session `s` (hash-tagged so a cluster keeps a session's keys on one slot):
 *   mem:{s}:turns     LIST of JSON turns, RPUSH + LTRIM to the window
 *   mem:{s}:entities  ZSET member "type\0value", score = last mention (ms)
 *   mem:{s}:vault     HASH placeholder → raw value
 * Every write is one MULTI that also renews EXPIRE on the keys it touched.
 */
export class RedisShortTermStore implements ShortTermStore {
  readonly kind = 'redis' as const;

  constructor(
    private readonly redis: Redis,
    private readonly options: ShortTermOptions,
  ) {}

  /** Resolves once connected, so start-up fails loudly on a wrong REDIS_URL. */
  static async connect(url: string, options: ShortTermOptions): Promise<RedisShortTermStore> {
    // Fail fast instead of queueing commands while Redis is down: callers have a deadline and
    // degrade (the context is marked partial), which beats waiting on a reconnect loop.
    const redis = await createRedisClient(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
    redis.on('error', () => undefined); // surfaced per command; avoid unhandled 'error' events
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw err;
    }
    return new RedisShortTermStore(redis, options);
  }

  private key(sessionId: string, what: 'turns' | 'entities' | 'vault'): string {
    return `mem:{${sessionId}}:${what}`;
  }

  async pushTurn(sessionId: string, turn: Turn): Promise<void> {
    const key = this.key(sessionId, 'turns');
    await this.redis.multi().rpush(key, JSON.stringify(turn)).ltrim(key, -this.options.maxTurns, -1).expire(key, this.options.ttlSeconds).exec().then(check);
  }

  async recentTurns(sessionId: string, limit = this.options.maxTurns): Promise<Turn[]> {
    const raw = await this.redis.lrange(this.key(sessionId, 'turns'), -Math.max(1, limit), -1);
    return raw.map((r) => JSON.parse(r) as Turn);
  }

  async touchEntities(sessionId: string, entities: readonly FocusEntity[]): Promise<void> {
    if (entities.length === 0) return;
    const key = this.key(sessionId, 'entities');
    const max = this.options.maxEntities ?? 50;
    const args = entities.flatMap((e) => [e.at, `${e.type}\u0000${e.value}`]);
    await this.redis
      .multi()
      .zadd(key, ...args)
      .zremrangebyrank(key, 0, -(max + 1))
      .expire(key, this.options.ttlSeconds)
      .exec()
      .then(check);
  }

  async focusEntities(sessionId: string, limit = 20): Promise<FocusEntity[]> {
    const raw = await this.redis.zrevrange(this.key(sessionId, 'entities'), 0, limit - 1, 'WITHSCORES');
    const out: FocusEntity[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const [type = '', value = ''] = (raw[i] ?? '').split('\u0000');
      out.push({ type, value, at: Number(raw[i + 1]) });
    }
    return out;
  }

  async saveVault(sessionId: string, entries: readonly [string, string][]): Promise<void> {
    if (entries.length === 0) return;
    const key = this.key(sessionId, 'vault');
    await this.redis.multi().hset(key, Object.fromEntries(entries)).expire(key, this.options.ttlSeconds).exec().then(check);
  }

  async loadVault(sessionId: string): Promise<[string, string][]> {
    return Object.entries(await this.redis.hgetall(this.key(sessionId, 'vault')));
  }

  async forget(sessionId: string): Promise<void> {
    await this.redis.del(this.key(sessionId, 'turns'), this.key(sessionId, 'entities'), this.key(sessionId, 'vault'));
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** MULTI reports per-command errors in its result rather than rejecting. */
function check(results: [Error | null, unknown][] | null): void {
  if (!results) throw new Error('redis transaction aborted');
  const failed = results.find(([err]) => err);
  if (failed?.[0]) throw failed[0];
}
