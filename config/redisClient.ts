import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';

/**
 * A Redis client for REDIS_URL. ioredis is loaded here, on first use, and only an install that sets
 * REDIS_URL gets here: an API or worker without Redis otherwise carries its modules for nothing
 * (issue #16, idle RSS; test/lint/optionalSdks.test.ts keeps it out of the start-up graph).
 */
export async function createRedisClient(url: string, options: RedisOptions): Promise<Redis> {
  const { default: RedisClient } = await import('ioredis');
  return new RedisClient(url, options);
}
