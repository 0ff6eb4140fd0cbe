import { Router } from 'express';
import { z } from 'zod';
import type { AppConfig } from '../../config/env';
import { hasRole } from '../../domain/roles';
import { DraftStatus } from '../../runbooks/planner/draftStore';
import { ComposeBody, type RunbookPlanner } from '../../runbooks/planner/runbookPlanner';
import { requireRole } from '../auth/middleware';
import type { RunOperations } from '../deps';
import { HttpProblem, parseOrThrow } from '../problem';
import { principalOf } from '../requestContext';
import { IdempotencyKey, NoQuery, PagingQuery } from '../schemas';
import { runLinks } from './runs';

/**
 * The gated planner over HTTP (runbooks/planner/): compose a runbook from a goal, list and read the
 * drafts, start one (admin, like any inline definition: a draft is one), promote one into the
 * catalogue directory (admin), discard one (its author or an admin). Composing never starts a run.
 * Mounted before the catalogue routes so `/runbooks/drafts` is not read as a runbook named "drafts".
 */
export const DraftIdParam = z.strictObject({ id: z.uuid('must be a draft id (UUID)') });
export const ListDraftsQuery = z.strictObject({
  status: DraftStatus.optional(),
  limit: PagingQuery.shape.limit,
});
export const DraftRunBody = z.strictObject({
  params: z.record(z.string(), z.unknown(), 'must be an object').default({}),
  idempotencyKey: IdempotencyKey.optional(),
});
export const EmptyBody = z.strictObject({});

export interface PlannerRoutesDeps {
  config: Pick<AppConfig, 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>;
  runs: RunOperations;
  planner?: RunbookPlanner;
}

const draftLinks = (id: string) => ({ self: `/api/v1/runbooks/drafts/${id}`, runs: `/api/v1/runbooks/drafts/${id}/runs`, promote: `/api/v1/runbooks/drafts/${id}/promote` });

export function runbookPlannerRoutes({ config, runs, planner }: PlannerRoutesDeps): Router {
  const router = Router();
  const need = (): RunbookPlanner => {
    if (!planner) throw new HttpProblem(503, 'planner-unavailable', 'the runbook planner is not configured on this API (it needs the database)');
    return planner;
  };

  router.post('/runbooks/compose', requireRole('operator'), async (req, res) => {
    parseOrThrow(NoQuery, req.query, 'query');
    const { goal } = parseOrThrow(ComposeBody, req.body ?? {}, 'request body');
    const result = await need().compose(goal, principalOf(res));
    if (result.source === 'rules') {
      res.json({ ...result, hint: 'no draft was composed; start one of these catalogue runbooks (POST /api/v1/runs) or configure an LLM provider to compose one' });
      return;
    }
    const links = draftLinks(result.draft.id);
    res
      .status(201)
      .location(links.self)
      .json({ draftId: result.draft.id, ...result, links });
  });

  router.get('/runbooks/drafts', requireRole('viewer'), async (req, res) => {
    const query = parseOrThrow(ListDraftsQuery, req.query, 'query');
    res.json({ items: await need().listDrafts({ limit: query.limit, ...(query.status ? { status: query.status } : {}) }) });
  });

  router.get('/runbooks/drafts/:id', requireRole('viewer'), async (req, res) => {
    const { id } = parseOrThrow(DraftIdParam, req.params, 'path');
    parseOrThrow(NoQuery, req.query, 'query');
    res.json({ ...(await need().getDraft(id)), links: draftLinks(id) });
  });

  // A draft is an inline definition the model wrote: starting it needs what POST /runs needs for one (admin).
  router.post('/runbooks/drafts/:id/runs', requireRole('admin'), async (req, res) => {
    const { id } = parseOrThrow(DraftIdParam, req.params, 'path');
    parseOrThrow(NoQuery, req.query, 'query');
    const body = parseOrThrow(DraftRunBody, req.body ?? {}, 'request body');
    const principal = principalOf(res);
    const { definition, params } = await need().prepareRun(id, body.params);
    const started = await runs.startRun({
      runbook: definition,
      params,
      requestedBy: principal,
      ...(body.idempotencyKey !== undefined ? { idempotencyKey: body.idempotencyKey } : {}),
    });
    const links = runLinks(config, started.runId);
    const gates = need()
      .planOf(definition, params)
      .gates.filter((g) => g.stops !== 'skipped');
    res
      .status(started.created ? 202 : 200)
      .location(links.self)
      .json({ runId: started.runId, status: started.status, draftId: id, gates, links });
  });

  router.post('/runbooks/drafts/:id/promote', requireRole('admin'), async (req, res) => {
    const { id } = parseOrThrow(DraftIdParam, req.params, 'path');
    parseOrThrow(NoQuery, req.query, 'query');
    parseOrThrow(EmptyBody, req.body ?? {}, 'request body');
    const promoted = await need().promote(id, principalOf(res));
    // The server's path stays on the server; the file name is what a reviewer looks for in git.
    res.status(201).json({ draft: promoted.draft, file: promoted.file, note: 'written to the catalogue directory for review; the API and workers load it at their next start' });
  });

  router.post('/runbooks/drafts/:id/discard', requireRole('operator'), async (req, res) => {
    const { id } = parseOrThrow(DraftIdParam, req.params, 'path');
    parseOrThrow(NoQuery, req.query, 'query');
    parseOrThrow(EmptyBody, req.body ?? {}, 'request body');
    const principal = principalOf(res);
    const current = await need().getDraft(id);
    if (current.draft.createdBy !== principal.sub && !hasRole(principal, 'admin')) throw new HttpProblem(403, 'forbidden', "only the draft's author or an admin may discard it");
    res.json({ draft: await need().discard(id, principal) });
  });

  return router;
}
