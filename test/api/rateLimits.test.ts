import Redis from 'ioredis';
import { RateLimits } from '../../api/rateLimits';
import { AUTH_TOKENS, catalogueOf, deployService, TOKENS } from './support/fixtures';
import { openBackends, startApi, type Backends, type TestApi } from './support/testApi';

/** Rate limits against the real app: per subject, per IP before auth, failed auths, webhooks, and Redis shared by replicas. */
const catalogue = catalogueOf([deployService]);
const OFF = { RATE_LIMIT_PER_SUBJECT: '0', RATE_LIMIT_PER_IP: '0', RATE_LIMIT_AUTH_FAILURES_PER_IP: '0', RATE_LIMIT_WEBHOOK_PER_SOURCE: '0' };

let backends: Backends;
const apis: TestApi[] = [];
let redis: Redis;

async function api(env: Record<string, string>, rateLimits?: RateLimits): Promise<TestApi> {
  const started = await startApi(backends, { catalogue, env: { AUTH_TOKENS, ...OFF, ...env }, ...(rateLimits ? { rateLimits } : {}) });
  apis.push(started);
  return started;
}

function expectRateLimited(res: { status: number; headers: Headers; body: any }): void {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body.type).toBe('urn:copilot:problem:rate-limited');
  expect(res.body.title).toBe('Too Many Requests');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

beforeAll(async () => {
  backends = await openBackends('ratelimits');
  redis = new Redis(process.env.TEST_REDIS_URL!, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  for (const a of apis) await a.close();
  redis.disconnect();
  await backends.close();
});

test('per subject: the limit counts each subject apart and answers 429 problem+json with Retry-After', async () => {
  const a = await api({ RATE_LIMIT_PER_SUBJECT: '3' });
  const remaining: (string | null)[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await a.call('GET', '/api/v1/runbooks', { token: TOKENS.viewer });
    expect(res.status).toBe(200);
    remaining.push(res.headers.get('ratelimit-remaining'));
  }
  expect(remaining).toEqual(['2', '1', '0']);
  const limited = await a.call('GET', '/api/v1/runbooks', { token: TOKENS.viewer });
  expectRateLimited(limited);
  expect(limited.body.detail).toContain('vera');
  // Another subject has its own allowance.
  expect((await a.call('GET', '/api/v1/runbooks', { token: TOKENS.operator })).status).toBe(200);
  // Health probes are never limited.
  expect((await a.call('GET', '/health')).status).toBe(200);
});

test('per IP before authentication: a flood is refused before the token is even checked', async () => {
  const a = await api({ RATE_LIMIT_PER_IP: '2' });
  expect((await a.call('GET', '/api/v1/runbooks')).status).toBe(401);
  expect((await a.call('GET', '/api/v1/runbooks', { token: TOKENS.viewer })).status).toBe(200);
  expectRateLimited(await a.call('GET', '/api/v1/runbooks', { token: TOKENS.viewer }));
});

test('failed authentications per IP: guessing tokens is cut off, then even a good token waits', async () => {
  const a = await api({ RATE_LIMIT_AUTH_FAILURES_PER_IP: '3' });
  for (let i = 0; i < 3; i++) expect((await a.call('GET', '/api/v1/runbooks', { token: `guess-${i}-xxxxxxxx` })).status).toBe(401);
  const limited = await a.call('GET', '/api/v1/runbooks', { token: TOKENS.viewer });
  expectRateLimited(limited);
  expect(limited.body.detail).toContain('failed authentication');
});

test('successful requests do not count as failed authentications', async () => {
  const a = await api({ RATE_LIMIT_AUTH_FAILURES_PER_IP: '2' });
  for (let i = 0; i < 5; i++) expect((await a.call('GET', '/api/v1/runbooks', { token: TOKENS.viewer })).status).toBe(200);
});

test('webhooks: limited per source apart from the API allowance', async () => {
  const a = await api({ RATE_LIMIT_WEBHOOK_PER_SOURCE: '2', ALERTMANAGER_WEBHOOK_TOKEN: 'webhook-token-0123456789' });
  const send = () => a.call('POST', '/api/v1/webhooks/alertmanager', { token: 'webhook-token-0123456789', json: { version: '4', status: 'firing', alerts: [] } });
  const first = await send();
  expect(first.status).not.toBe(429);
  expect((await send()).status).not.toBe(429);
  expectRateLimited(await send());
  // The rest of the API is not affected by the webhook's limit.
  expect((await a.call('GET', '/api/v1/runbooks', { token: TOKENS.viewer })).status).toBe(200);
});

test('with Redis, two API replicas share one allowance per subject', async () => {
  const prefix = `t${Date.now().toString(36)}`;
  const settings = { perSubjectPerMinute: 4, perIpPerMinute: 0, authFailuresPerIpPerMinute: 0, webhookPerSourcePerMinute: 0 };
  // Distinct key prefixes per test run keep earlier runs' counters in the shared Redis out of the way.
  const one = await api({}, new RateLimits(settings, undefined, redis, prefix));
  const two = await api({}, new RateLimits(settings, undefined, redis, prefix));
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await (i % 2 === 0 ? one : two).call('GET', '/api/v1/runbooks', { token: TOKENS.admin })).status);
  expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  expect(Number(await redis.exists(`${prefix}:subject:ada`))).toBe(1);
});
