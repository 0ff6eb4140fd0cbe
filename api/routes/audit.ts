import { Router } from 'express';
import { z } from 'zod';
import { AuditOutcome, AuditSurface, decodeCursor, MAX_LIST_LIMIT, type AuditLog } from '../../audit/auditLog';
import { requireRole } from '../auth/middleware';
import { HttpProblem, parseOrThrow } from '../problem';

/** GET /api/v1/audit: the audit trail, newest first, for admins only. */
export interface AuditRoutesDeps {
  audit?: AuditLog;
}

const LIMIT_MESSAGE = `must be an integer between 1 and ${MAX_LIST_LIMIT}`;
const IsoTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z' }).transform((s) => new Date(s));
const Text = z.string().min(1).max(500);

export const AuditQuery = z
  .strictObject({
    subject: Text.optional(),
    action: Text.optional(),
    target: Text.optional(),
    surface: AuditSurface.optional(),
    outcome: AuditOutcome.optional(),
    from: IsoTime.optional(),
    to: IsoTime.optional(),
    limit: z
      .string()
      .regex(/^\d{1,3}$/, LIMIT_MESSAGE)
      .transform(Number)
      .pipe(z.number().int().min(1, LIMIT_MESSAGE).max(MAX_LIST_LIMIT, LIMIT_MESSAGE))
      .default(100),
    cursor: z
      .string()
      .max(200)
      .transform((s, ctx) => {
        const beforeId = decodeCursor(s);
        if (beforeId === undefined) {
          ctx.addIssue({ code: 'custom', message: 'is not a cursor returned by this endpoint' });
          return z.NEVER;
        }
        return beforeId;
      })
      .optional(),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { path: ['to'], message: 'must be later than from' });

export function auditRoutes({ audit }: AuditRoutesDeps): Router {
  const router = Router();
  router.get('/audit', requireRole('admin'), async (req, res) => {
    const query = parseOrThrow(AuditQuery, req.query, 'query');
    if (!audit) throw new HttpProblem(503, 'audit-unavailable', 'the audit trail is not enabled in this API process');
    const { cursor, ...filters } = query;
    res.json(await audit.list({ ...filters, ...(cursor !== undefined ? { beforeId: cursor } : {}) }));
  });
  return router;
}
