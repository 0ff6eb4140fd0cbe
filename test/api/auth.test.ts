import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { createAuthenticator } from '../../api/auth/authenticator';
import { rolesFromClaim } from '../../api/auth/jwtVerifier';
import { StaticTokens } from '../../api/auth/staticTokens';
import { ConfigError } from '../../config/env';
import { AUTH_TOKENS, catalogueOf, deployService, TOKENS } from './support/fixtures';
import { openBackends, startApi, type Backends, type TestApi } from './support/testApi';

const SECRET = 'test-secret-that-is-at-least-32-characters-long';
const ISSUER = 'https://issuer.test';
const AUDIENCE = 'copilot-api';
const catalogue = catalogueOf([deployService]);

let backends: Backends;
let staticApi: TestApi;
let hsApi: TestApi;
let jwksApi: TestApi;
let deadJwksApi: TestApi;
let jwksServer: http.Server;
let rsaPrivate: KeyLike;
let otherPrivate: KeyLike;

function hs256(claims: Record<string, unknown>, options: { secret?: string; exp?: string | number; iss?: string; aud?: string; alg?: string } = {}) {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setIssuedAt()
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setExpirationTime(options.exp ?? '5m');
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

function rs256(key: KeyLike, kid: string, claims: Record<string, unknown>) {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).setIssuedAt().setExpirationTime('5m').sign(key);
}

beforeAll(async () => {
  backends = await openBackends('auth');
  const pair = await generateKeyPair('RS256');
  rsaPrivate = pair.privateKey;
  otherPrivate = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
  jwksServer = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;

  staticApi = await startApi(backends, { catalogue, env: { AUTH_TOKENS } });
  hsApi = await startApi(backends, {
    catalogue,
    env: { AUTH_TOKENS, AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE },
  });
  jwksApi = await startApi(backends, { catalogue, env: { AUTH_JWKS_URL: jwksUrl } });
  // A JWKS endpoint nobody listens on: the API cannot verify anything and must say so (503), not 401.
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/jwks.json`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  deadJwksApi = await startApi(backends, { catalogue, env: { AUTH_JWKS_URL: deadUrl } });
});

afterAll(async () => {
  await Promise.all([staticApi, hsApi, jwksApi, deadJwksApi].map((api) => api?.close()));
  await new Promise<void>((resolve) => (jwksServer ? jwksServer.close(() => resolve()) : resolve()));
  await backends?.close();
});

describe('AUTH_TOKENS parsing', () => {
  it('maps tokens to principals and rejects unknown tokens', () => {
    const tokens = StaticTokens.parse('token-aaaa-1=alice:operator,token-bbbb-2=bob:approver+operator');
    expect(tokens.lookup('token-bbbb-2')).toEqual({ sub: 'bob', roles: ['approver', 'operator'] });
    expect(tokens.lookup('token-aaaa-1')).toEqual({ sub: 'alice', roles: ['operator'] });
    expect(tokens.lookup('token-aaaa-')).toBeUndefined();
    expect(tokens.lookup('')).toBeUndefined();
  });

  it.each([
    ['good-token-1=alice:operator,secret-token-2=bob:wizard', /entry 2 \(subject "bob"\): unknown role "wizard"/],
    ['secret-token-1=alice', /entry 1 has no subject/],
    ['secret-token-1=alice:', /entry 1 \(subject "alice"\) has no role/],
    ['secret-token-1', /entry 1 must look like token=subject:role/],
    ['good-token-1=alice:operator,,other-token-3=bob:viewer', /entry 2 is empty/],
    ['secret-token-1=alice:viewer,secret-token-1=bob:viewer', /entry 2 \(subject "bob"\) reuses the token/],
    ['short=alice:viewer', /entry 1 \(subject "alice"\): the token must be at least 8 characters/],
  ])('rejects %p naming the entry but never printing a token', (spec, expected) => {
    let error: unknown;
    try {
      createAuthenticator({ AUTH_TOKENS: spec });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/AUTH_TOKENS/);
    expect(message).toMatch(expected);
    for (const secret of ['secret-token-1', 'secret-token-2', 'good-token-1', 'other-token-3', 'short']) {
      expect(message).not.toContain(secret);
    }
  });

  it('reads the roles claim as an array or a space-separated string and ignores unknown roles', () => {
    expect(rolesFromClaim(['operator', 'wizard', 'viewer'])).toEqual(['operator', 'viewer']);
    expect(rolesFromClaim('approver  admin root')).toEqual(['approver', 'admin']);
    expect(rolesFromClaim(undefined)).toEqual([]);
    expect(rolesFromClaim(42)).toEqual([]);
  });
});

describe('static bearer tokens over HTTP', () => {
  it('answers 401 problem+json with WWW-Authenticate when the header is missing', async () => {
    const res = await staticApi.call('GET', '/api/v1/runbooks');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(res.body).toMatchObject({ status: 401, title: 'Unauthorized', detail: expect.stringMatching(/Authorization/) });
  });

  it.each([
    ['a non-Bearer scheme', { authorization: `Basic ${Buffer.from('vera:pw').toString('base64')}` }],
    ['an unknown token', { authorization: 'Bearer not-a-known-token' }],
    ['an empty Bearer', { authorization: 'Bearer ' }],
  ])('answers 401 for %s', async (_what, headers) => {
    const res = await staticApi.call('GET', '/api/v1/runbooks', { headers });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('lets a viewer read the catalogue', async () => {
    const res = await staticApi.call('GET', '/api/v1/runbooks', { token: TOKENS.viewer });
    expect(res.status).toBe(200);
    expect(res.body.items.map((r: { name: string }) => r.name)).toEqual(['deploy-service']);
  });

  it('answers 403 naming the missing role', async () => {
    const start = await staticApi.call('POST', '/api/v1/runs', { token: TOKENS.viewer, json: { runbook: 'deploy-service', params: { version: 'v1' } } });
    expect(start.status).toBe(403);
    expect(start.body.detail).toMatch(/"operator"/);

    const inline = await staticApi.call('POST', '/api/v1/runs', { token: TOKENS.operator, json: { definition: deployService } });
    expect(inline.status).toBe(403);
    expect(inline.body.detail).toMatch(/"admin"/);

    const decide = await staticApi.call('POST', '/api/v1/runs/run-abc/approvals/gate', { token: TOKENS.operator, json: { decision: 'approve' } });
    expect(decide.status).toBe(403);
    expect(decide.body.detail).toMatch(/"approver", "admin"/);

    const cancel = await staticApi.call('POST', '/api/v1/runs/run-abc/cancel', { token: TOKENS.approver });
    expect(cancel.status).toBe(403);
    expect(cancel.body.detail).toMatch(/"operator"/);
  });

  it('needs no token for the probes', async () => {
    expect((await staticApi.call('GET', '/health')).body).toEqual({ status: 'ok' });
    const ready = await staticApi.call('GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok', checks: { temporal: { status: 'up' }, database: { status: 'up' } } });
  });

  it('never writes tokens or Authorization headers to the logs', async () => {
    await staticApi.call('GET', '/api/v1/runbooks', { token: TOKENS.operator });
    await staticApi.call('GET', '/api/v1/runbooks', { token: 'wrong-secret-token-xyz' });
    await staticApi.call('POST', '/api/v1/runs', { token: TOKENS.admin, raw: '{not json', headers: { 'content-type': 'application/json' } });
    const logs = staticApi.logs.join('');
    expect(logs).toContain('"path":"/api/v1/runbooks"'); // the request log exists
    for (const secret of [TOKENS.operator, TOKENS.admin, 'wrong-secret-token-xyz', 'Bearer']) expect(logs).not.toContain(secret);
  });
});

describe('JWT (HS256)', () => {
  it('accepts a valid token with roles as an array', async () => {
    const token = await hs256({ sub: 'jane', roles: ['viewer'] });
    expect((await hsApi.call('GET', '/api/v1/runbooks', { token })).status).toBe(200);
  });

  it('accepts roles as a space-separated string and ignores unknown ones', async () => {
    const token = await hs256({ sub: 'jane', roles: 'wizard operator' });
    // Past the role check (operator) to the catalogue look-up: 404, not 403.
    const res = await hsApi.call('POST', '/api/v1/runs', { token, json: { runbook: 'no-such-runbook' } });
    expect(res.status).toBe(404);
    const wizard = await hs256({ sub: 'jane', roles: ['wizard'] });
    const denied = await hsApi.call('GET', '/api/v1/runbooks', { token: wizard });
    expect(denied.status).toBe(403);
    expect(denied.body.detail).toMatch(/"viewer"/);
  });

  it('still accepts static tokens alongside JWTs', async () => {
    expect((await hsApi.call('GET', '/api/v1/runbooks', { token: TOKENS.viewer })).status).toBe(200);
  });

  it('answers 401 for an expired token, saying so', async () => {
    const token = await hs256({ sub: 'jane', roles: ['viewer'] }, { exp: Math.floor(Date.now() / 1000) - 60 });
    const res = await hsApi.call('GET', '/api/v1/runbooks', { token });
    expect(res.status).toBe(401);
    expect(res.body.detail).toMatch(/expired/);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it.each([
    ['the wrong secret', () => hs256({ sub: 'jane', roles: ['viewer'] }, { secret: 'another-secret-that-is-at-least-32-chars!!' })],
    ['the wrong issuer', () => hs256({ sub: 'jane', roles: ['viewer'] }, { iss: 'https://evil.test' })],
    ['the wrong audience', () => hs256({ sub: 'jane', roles: ['viewer'] }, { aud: 'someone-else' })],
    ['no sub claim', () => hs256({ roles: ['viewer'] })],
    ['another HMAC algorithm', () => hs256({ sub: 'jane', roles: ['viewer'] }, { alg: 'HS512' })],
    ['an unsigned token', async () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"jane","roles":["admin"]}').toString('base64url')}.`],
  ])('answers 401 for a token with %s', async (_what, make) => {
    const res = await hsApi.call('GET', '/api/v1/runbooks', { token: await make() });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });
});

describe('JWT (JWKS)', () => {
  it('accepts an RS256 token signed by a key in the JWKS', async () => {
    const token = await rs256(rsaPrivate, 'key-1', { sub: 'kim', roles: ['viewer'] });
    expect((await jwksApi.call('GET', '/api/v1/runbooks', { token })).status).toBe(200);
  });

  it('answers 401 for a key the JWKS does not hold and for HS256 tokens', async () => {
    const foreign = await rs256(otherPrivate, 'key-1', { sub: 'kim', roles: ['viewer'] });
    expect((await jwksApi.call('GET', '/api/v1/runbooks', { token: foreign })).status).toBe(401);
    const unknownKid = await rs256(otherPrivate, 'key-2', { sub: 'kim', roles: ['viewer'] });
    expect((await jwksApi.call('GET', '/api/v1/runbooks', { token: unknownKid })).status).toBe(401);
    const hmac = await hs256({ sub: 'kim', roles: ['viewer'] });
    expect((await jwksApi.call('GET', '/api/v1/runbooks', { token: hmac })).status).toBe(401);
  });

  it('answers 503 when the JWKS cannot be fetched', async () => {
    const token = await rs256(rsaPrivate, 'key-1', { sub: 'kim', roles: ['viewer'] });
    const res = await deadJwksApi.call('GET', '/api/v1/runbooks', { token });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
