import Redis from 'ioredis';
import { InProcessShortTermStore } from '../../memory/shortTerm/inProcessShortTermStore';
import { RedisShortTermStore } from '../../memory/shortTerm/redisShortTermStore';
import type { ShortTermStore } from '../../memory/shortTerm/shortTermStore';

/** One contract, two backends: real redis-server (globalSetup) and the in-process store. */
const options = { ttlSeconds: 1, maxTurns: 3, maxEntities: 2 };
let n = 0;
const sid = () => `s-${process.pid}-${Date.now()}-${n++}`;

describe.each(['redis', 'in-process'] as const)('ShortTermStore contract (%s)', (kind) => {
  let store: ShortTermStore;

  beforeAll(async () => {
    store = kind === 'redis' ? await RedisShortTermStore.connect(process.env.TEST_REDIS_URL!, options) : new InProcessShortTermStore(options);
  });
  afterAll(async () => {
    await store.close();
  });

  it('keeps only the last maxTurns turns, oldest first', async () => {
    const s = sid();
    for (let i = 1; i <= 5; i++) await store.pushTurn(s, { role: i % 2 ? 'user' : 'assistant', content: `turn ${i}`, at: i });
    expect((await store.recentTurns(s)).map((t) => t.content)).toEqual(['turn 3', 'turn 4', 'turn 5']);
    expect((await store.recentTurns(s, 2)).map((t) => t.content)).toEqual(['turn 4', 'turn 5']);
    expect(await store.recentTurns(sid())).toEqual([]);
  });

  it('keeps the most recently mentioned entities, newest first, updating repeats', async () => {
    const s = sid();
    await store.touchEntities(s, [
      { type: 'service', value: 'checkout-svc', at: 10 },
      { type: 'incident', value: 'INC-1', at: 20 },
    ]);
    await store.touchEntities(s, [{ type: 'service', value: 'checkout-svc', at: 30 }]);
    await store.touchEntities(s, [{ type: 'host', value: 'db1.internal', at: 40 }]);
    expect(await store.focusEntities(s)).toEqual([
      { type: 'host', value: 'db1.internal', at: 40 },
      { type: 'service', value: 'checkout-svc', at: 30 },
    ]);
  });

  it('stores the placeholder vault and forgets everything of a session', async () => {
    const s = sid();
    await store.pushTurn(s, { role: 'user', content: 'hi', at: 1 });
    await store.saveVault(s, [['<EMAIL_1>', 'a@b.io']]);
    expect(await store.loadVault(s)).toEqual([['<EMAIL_1>', 'a@b.io']]);
    await store.forget(s);
    expect(await store.recentTurns(s)).toEqual([]);
    expect(await store.loadVault(s)).toEqual([]);
    expect(await store.focusEntities(s)).toEqual([]);
  });

  it('expires a session after the TTL', async () => {
    const s = sid();
    await store.pushTurn(s, { role: 'user', content: 'soon gone', at: 1 });
    expect(await store.recentTurns(s)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 2100));
    expect(await store.recentTurns(s)).toEqual([]);
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});

it('Redis keys carry a TTL and a session hash tag', async () => {
  const store = await RedisShortTermStore.connect(process.env.TEST_REDIS_URL!, { ttlSeconds: 120, maxTurns: 3 });
  const raw = new Redis(process.env.TEST_REDIS_URL!);
  try {
    const s = sid();
    await store.pushTurn(s, { role: 'user', content: 'x', at: 1 });
    const ttl = await raw.ttl(`mem:{${s}}:turns`);
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(120);
  } finally {
    await store.close();
    await raw.quit();
  }
});
