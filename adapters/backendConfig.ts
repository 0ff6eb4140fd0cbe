/**
 * Where an observability backend lives and how to authenticate to it. Built from environment
 * variables (see config/env.ts: PROMETHEUS_URL/_AUTH/_TENANT, LOKI_*, TEMPO_*).
 */
export type BackendName = 'prometheus' | 'loki' | 'tempo';

export type BackendAuth = { type: 'bearer'; token: string } | { type: 'basic'; username: string; password: string };

export interface BackendConfig {
  name: BackendName;
  url: string;
  auth?: BackendAuth;
  /** Multi-tenant Loki/Tempo/Mimir: sent as `X-Scope-OrgID`. */
  tenant?: string;
  /** Deadline of one call including its retries (default 10 s). */
  timeoutMs?: number;
  /** Attempts for transient failures (default 3). */
  maxAttempts?: number;
  /** Consecutive transient failures that open the circuit (default 5), and how long it stays open. */
  breakerThreshold?: number;
  breakerHalfOpenAfterMs?: number;
}

/**
 * `bearer:<token>` or `basic:<user>:<password>` (the password may contain ':'). Anything else is a
 * configuration error: silently sending no auth would surface much later as confusing 401s.
 */
export function parseBackendAuth(value: string | undefined): BackendAuth | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.startsWith('bearer:') && value.length > 'bearer:'.length) return { type: 'bearer', token: value.slice('bearer:'.length) };
  const basic = /^basic:([^:]+):(.*)$/.exec(value);
  if (basic?.[1] && basic[2] !== undefined) return { type: 'basic', username: basic[1], password: basic[2] };
  throw new Error('must be "bearer:<token>" or "basic:<user>:<password>"');
}

export function authHeaders(config: Pick<BackendConfig, 'auth' | 'tenant'>): Record<string, string> {
  const headers: Record<string, string> = {};
  if (config.auth?.type === 'bearer') headers.authorization = `Bearer ${config.auth.token}`;
  if (config.auth?.type === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${config.auth.username}:${config.auth.password}`).toString('base64')}`;
  }
  if (config.tenant) headers['x-scope-orgid'] = config.tenant;
  return headers;
}
