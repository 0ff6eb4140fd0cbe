import { Router } from 'express';
import { z } from 'zod';
import type { AppConfig } from '../../config/env';
import { hasAnyRole, type Principal, type Role } from '../../domain/roles';
import { requireRole } from '../auth/middleware';
import { parseOrThrow } from '../problem';
import { principalOf } from '../requestContext';
import { NoQuery } from '../schemas';

/**
 * GET /me: who the token says the caller is and what they may do, so surfaces can show (or disable,
 * with the reason) the actions the API would refuse anyway. The API still checks every request.
 */
const PERMISSION_ROLES = {
  viewRuns: ['viewer'],
  startRuns: ['operator'],
  startInlineRuns: ['admin'],
  cancelRuns: ['operator'],
  decideApprovals: ['approver', 'admin'],
  chat: ['viewer'],
  createIncidents: ['operator'],
  writeMemories: ['operator'],
  readAudit: ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSION_ROLES;

export const MeResponse = z.object({
  subject: z.string(),
  roles: z.array(z.string()),
  permissions: z.record(z.enum(Object.keys(PERMISSION_ROLES) as [Permission, ...Permission[]]), z.boolean()),
  temporalUiUrl: z.string().optional(),
  temporalNamespace: z.string(),
});

export function permissionsOf(principal: Principal): Record<Permission, boolean> {
  const out = {} as Record<Permission, boolean>;
  for (const [name, roles] of Object.entries(PERMISSION_ROLES)) out[name as Permission] = hasAnyRole(principal, roles);
  return out;
}

export function meRoutes(config: Pick<AppConfig, 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>): Router {
  const router = Router();
  router.get('/me', requireRole('viewer'), (req, res) => {
    parseOrThrow(NoQuery, req.query, 'query');
    const principal = principalOf(res);
    res.json({
      subject: principal.sub,
      roles: principal.roles,
      permissions: permissionsOf(principal),
      ...(config.TEMPORAL_UI_URL ? { temporalUiUrl: config.TEMPORAL_UI_URL.replace(/\/+$/, '') } : {}),
      temporalNamespace: config.TEMPORAL_NAMESPACE,
    });
  });
  return router;
}
