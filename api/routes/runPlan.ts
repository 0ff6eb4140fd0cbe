import { Router } from 'express';
import { z } from 'zod';
import { planRun } from '../../domain/dryRunPlan';
import { RunbookName } from '../../domain/runbook';
import { requireRole } from '../auth/middleware';
import type { RunbookSource } from '../deps';
import { parseOrThrow } from '../problem';
import { principalOf } from '../requestContext';
import { requireInlineRole, resolveRunRequest } from '../runRequest';
import { NoQuery } from '../schemas';

/**
 * POST /runs/plan: the dry run of POST /runs. Same body (without the idempotency key), same roles,
 * same validation and errors (runRequest.ts), then the plan of domain/dryRunPlan.ts instead of a
 * workflow: the steps in batch order with their rendered actions and the gates that will stop it.
 */
export const PlanRunBody = z
  .strictObject({
    runbook: RunbookName.optional(),
    definition: z.record(z.string(), z.unknown(), 'must be a runbook definition object').optional(),
    params: z.record(z.string(), z.unknown(), 'must be an object').default({}),
  })
  .superRefine((body, ctx) => {
    if (body.runbook === undefined && body.definition === undefined) {
      ctx.addIssue({ code: 'custom', path: ['runbook'], message: 'give "runbook" (a catalogue name) or "definition" (an inline runbook)' });
    }
    if (body.runbook !== undefined && body.definition !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['definition'], message: 'give either "runbook" or "definition", not both' });
    }
  });

export function runPlanRoutes(catalogue: RunbookSource): Router {
  const router = Router();
  router.post('/runs/plan', requireRole('operator'), (req, res) => {
    const raw: unknown = req.body;
    if (raw !== null && typeof raw === 'object' && Object.hasOwn(raw, 'definition')) requireInlineRole(principalOf(res));
    parseOrThrow(NoQuery, req.query, 'query');
    const body = parseOrThrow(PlanRunBody, req.body ?? {}, 'request body');
    const { runbook, params } = resolveRunRequest(body, principalOf(res), catalogue);
    res.json(planRun(runbook, params));
  });
  return router;
}
