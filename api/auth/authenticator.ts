import type { AppConfig } from '../../config/env';
import type { Principal } from '../../domain/roles';
import type { JwtVerifier } from './jwtVerifier';
import { StaticTokens } from './staticTokens';

/**
 * Turns a bearer token into a Principal. Static tokens are tried first (cheap, constant time);
 * tokens shaped like a JWT then go to the JWT verifier when one is configured.
 */
export type AuthOutcome = { ok: true; principal: Principal } | { ok: false; reason: 'missing' | 'invalid' | 'expired' | 'unavailable'; detail: string };

export interface Authenticator {
  authenticate(token: string): Promise<AuthOutcome>;
  /** For the start-up log line: which mechanisms are active (never the secrets). */
  describe(): string;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function createAuthenticator(config: Pick<AppConfig, 'AUTH_TOKENS' | 'AUTH_JWT_SECRET' | 'AUTH_JWKS_URL' | 'AUTH_JWT_ISSUER' | 'AUTH_JWT_AUDIENCE'>): Authenticator {
  const tokens = StaticTokens.parse(config.AUTH_TOKENS);
  // jose loads with the first JWT-shaped token, not at start-up: static-token installs never need it.
  let verifier: Promise<JwtVerifier> | undefined;
  const jwt =
    config.AUTH_JWT_SECRET || config.AUTH_JWKS_URL
      ? () =>
          (verifier ??= import('./jwtVerifier').then(
            ({ JwtVerifier }) =>
              new JwtVerifier({
                secret: config.AUTH_JWT_SECRET,
                jwksUrl: config.AUTH_JWKS_URL,
                issuer: config.AUTH_JWT_ISSUER,
                audience: config.AUTH_JWT_AUDIENCE,
              }),
          ))
      : undefined;

  return {
    async authenticate(token) {
      const principal = tokens.lookup(token);
      if (principal) return { ok: true, principal };
      if (jwt && JWT_SHAPE.test(token)) return (await jwt()).verify(token);
      return { ok: false, reason: 'invalid', detail: 'invalid token' };
    },
    describe() {
      const parts = [`${tokens.size} static token(s)`];
      if (config.AUTH_JWT_SECRET) parts.push('JWT (HS256)');
      if (config.AUTH_JWKS_URL) parts.push(`JWT (JWKS ${config.AUTH_JWKS_URL})`);
      return parts.join(', ');
    },
  };
}
