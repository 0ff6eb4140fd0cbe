import type { NextFunction, Request, Response } from 'express';
import { hasAnyRole, type Role } from '../../domain/roles';
import { throwDeferredInput } from '../inputRules';
import { HttpProblem } from '../problem';
import { principalOf, setPrincipal } from '../requestContext';
import type { Authenticator } from './authenticator';

/** Bearer authentication for every /api/v1 route; failures are 401 problems with WWW-Authenticate. */
function unauthorized(detail: string, error?: 'invalid_token'): HttpProblem {
  const challenge = error ? `Bearer realm="copilot", error="${error}"` : 'Bearer realm="copilot"';
  return new HttpProblem(401, 'unauthorized', detail, undefined, { 'WWW-Authenticate': challenge });
}

export function authenticate(authenticator: Authenticator) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.get('authorization');
    if (!header) throw unauthorized('missing Authorization header (expected "Bearer <token>")');
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw unauthorized('the Authorization header must be "Bearer <token>"', 'invalid_token');
    const outcome = await authenticator.authenticate(match[1]);
    if (!outcome.ok) {
      if (outcome.reason === 'unavailable') throw new HttpProblem(503, 'auth-unavailable', outcome.detail);
      throw unauthorized(outcome.detail, 'invalid_token');
    }
    setPrincipal(res, outcome.principal);
    next();
  };
}

/**
 * 403 unless the principal holds one of `roles` (with the implications of domain/roles.ts). Only
 * then does the caller hear what the boundary rule found in the request (api/inputRules.ts), so
 * authorisation always comes before any validation detail.
 */
export function requireRole(...roles: Role[]) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    if (!hasAnyRole(principalOf(res), roles)) {
      const needed = roles.length === 1 ? `the "${roles[0]}" role` : `one of the roles ${roles.map((r) => `"${r}"`).join(', ')}`;
      throw new HttpProblem(403, 'forbidden', `this action requires ${needed}`);
    }
    throwDeferredInput(res);
    next();
  };
}
