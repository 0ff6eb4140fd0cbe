import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError, MIN_STATIC_TOKEN_LENGTH, STATIC_TOKEN_TOO_SHORT } from '../../config/env';
import { Role, type Principal } from '../../domain/roles';

/**
 * Static bearer tokens from AUTH_TOKENS (`token=subject:role[+role...]`, comma-separated; tokens of 8+ characters).
 * Only SHA-256 digests are kept, and every lookup compares against every entry with
 * timingSafeEqual, so neither the token nor its position leaks through timing.
 * Parse errors name the entry by position and subject, never by its token.
 */
interface TokenEntry {
  digest: Buffer;
  principal: Principal;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export class StaticTokens {
  private constructor(private readonly entries: readonly TokenEntry[]) {}

  get size(): number {
    return this.entries.length;
  }

  static parse(spec: string | undefined): StaticTokens {
    if (spec === undefined || spec.trim() === '') return new StaticTokens([]);
    const problems: string[] = [];
    const entries: TokenEntry[] = [];
    spec.split(',').forEach((raw, index) => {
      const entry = raw.trim();
      const label = `entry ${index + 1}`;
      if (entry === '') return problems.push(`${label} is empty`);
      const eq = entry.indexOf('=');
      if (eq <= 0) return problems.push(`${label} must look like token=subject:role[+role...]`);
      const token = entry.slice(0, eq);
      const rest = entry.slice(eq + 1);
      const colon = rest.lastIndexOf(':');
      const sub = colon > 0 ? rest.slice(0, colon) : '';
      if (sub === '') return problems.push(`${label} has no subject (token=subject:role[+role...])`);
      const named = `${label} (subject "${sub}")`;
      if (token.length < MIN_STATIC_TOKEN_LENGTH) return problems.push(`${named}: ${STATIC_TOKEN_TOO_SHORT}`);
      const roleNames = rest
        .slice(colon + 1)
        .split('+')
        .filter(Boolean);
      if (roleNames.length === 0) return problems.push(`${named} has no role`);
      const roles: Role[] = [];
      for (const name of roleNames) {
        const role = Role.safeParse(name);
        if (!role.success) return problems.push(`${named}: unknown role "${name}" (viewer, operator, approver, admin)`);
        roles.push(role.data);
      }
      const tokenDigest = digest(token);
      if (entries.some((e) => timingSafeEqual(e.digest, tokenDigest))) {
        return problems.push(`${named} reuses the token of an earlier entry`);
      }
      entries.push({ digest: tokenDigest, principal: { sub, roles: [...new Set(roles)] } });
    });
    if (problems.length > 0) {
      throw new ConfigError(problems.map((message) => ({ variable: 'AUTH_TOKENS', message })));
    }
    return new StaticTokens(entries);
  }

  /** Checks every entry (no early exit) so timing does not depend on which entry matched. */
  lookup(token: string): Principal | undefined {
    const candidate = digest(token);
    let found: Principal | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, candidate)) found = entry.principal;
    }
    return found ? { sub: found.sub, roles: [...found.roles] } : undefined;
  }
}
