import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type KeyLike } from 'jose';
import { Role, type Principal } from '../../domain/roles';

/**
 * Verifies JWT bearer tokens: HS256 with a shared secret, or any asymmetric algorithm whose key
 * comes from a JWKS endpoint (cached and refreshed by jose). `sub` is required; the `roles` claim
 * may be an array or a space-separated string, and roles this copilot does not know are ignored.
 */
export type JwtOutcome = { ok: true; principal: Principal } | { ok: false; reason: 'expired' | 'invalid' | 'unavailable'; detail: string };

export interface JwtVerifierOptions {
  secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export function rolesFromClaim(claim: unknown): Role[] {
  const names = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/\s+/) : [];
  const roles = new Set<Role>();
  for (const name of names) {
    const role = Role.safeParse(name);
    if (role.success) roles.add(role.data);
  }
  return [...roles];
}

export class JwtVerifier {
  private readonly key: Uint8Array | KeyLike | JWTVerifyGetKey;
  private readonly algorithms: string[];

  constructor(private readonly options: JwtVerifierOptions) {
    if (options.secret) {
      this.key = new TextEncoder().encode(options.secret);
      this.algorithms = ['HS256'];
    } else if (options.jwksUrl) {
      this.key = createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 2000 });
      this.algorithms = ASYMMETRIC;
    } else {
      throw new Error('JwtVerifier needs a secret or a JWKS URL');
    }
  }

  async verify(token: string): Promise<JwtOutcome> {
    let payload: JWTPayload;
    try {
      const verifyOptions = {
        algorithms: this.algorithms,
        ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
        ...(this.options.audience ? { audience: this.options.audience } : {}),
      };
      // Two overloads (static key vs. key function): narrow so TypeScript picks one.
      payload = typeof this.key === 'function' ? (await jwtVerify(token, this.key, verifyOptions)).payload : (await jwtVerify(token, this.key, verifyOptions)).payload;
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'expired', detail: 'the token has expired' };
      if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) {
        return { ok: false, reason: 'unavailable', detail: 'the token signing keys could not be fetched' };
      }
      if (err instanceof errors.JOSEError) {
        const why = err instanceof errors.JWTClaimValidationFailed ? `claim "${err.claim}" is not acceptable` : 'invalid token';
        return { ok: false, reason: 'invalid', detail: why };
      }
      // Network failures fetching the JWKS surface as plain errors.
      if (typeof this.key === 'function') {
        return { ok: false, reason: 'unavailable', detail: 'the token signing keys could not be fetched' };
      }
      return { ok: false, reason: 'invalid', detail: 'invalid token' };
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      return { ok: false, reason: 'invalid', detail: 'the token has no "sub" claim' };
    }
    return { ok: true, principal: { sub: payload.sub, roles: rolesFromClaim(payload.roles) } };
  }
}
