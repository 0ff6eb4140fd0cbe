import { Router } from 'express';
import type { AppConfig } from '../../config/env';
import { requireRole } from '../auth/middleware';
import type { RunbookSource, RunOperations } from '../deps';
import { parseOrThrow } from '../problem';
import { principalOf } from '../requestContext';
import { requireInlineRole, resolveRunRequest } from '../runRequest';
import { DecisionBody, GateParams, ListRunsQuery, NoQuery, RunIdParam, StartRunBody } from '../schemas';

/** Starting, listing, inspecting, deciding and cancelling runs. Temporal errors are mapped in errorHandler.ts. */
export interface RunRoutesDeps {
  config: Pick<AppConfig, 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>;
  runs: RunOperations;
  catalogue: RunbookSource;
}

export function runLinks(config: RunRoutesDeps['config'], runId: string) {
  const ui = config.TEMPORAL_UI_URL.replace(/\/+$/, '');
  return {
    self: `/api/v1/runs/${runId}`,
    events: `/api/v1/runs/${runId}/events`,
    temporalUi: `${ui}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${runId}`,
  };
}

export function runRoutes({ config, runs, catalogue }: RunRoutesDeps): Router {
  const router = Router();

  // Every start needs operator (admin implies it); an inline definition needs admin, which is
  // decided from the body's keys alone so a non-admin hears nothing about the definition's validity.
  router.post('/runs', requireRole('operator'), async (req, res) => {
    const raw: unknown = req.body;
    if (raw !== null && typeof raw === 'object' && Object.hasOwn(raw, 'definition')) requireInlineRole(principalOf(res));
    parseOrThrow(NoQuery, req.query, 'query');
    const body = parseOrThrow(StartRunBody, req.body ?? {}, 'request body');
    const principal = principalOf(res);
    const { runbook, params } = resolveRunRequest(body, principal, catalogue);
    const started = await runs.startRun({
      runbook,
      params,
      requestedBy: principal,
      ...(body.idempotencyKey !== undefined ? { idempotencyKey: body.idempotencyKey } : {}),
    });
    const links = runLinks(config, started.runId);
    res
      .status(started.created ? 202 : 200)
      .location(links.self)
      .json({ runId: started.runId, status: started.status, links });
  });

  router.get('/runs', requireRole('viewer'), async (req, res) => {
    const query = parseOrThrow(ListRunsQuery, req.query, 'query');
    const page = await runs.listRuns({
      pageSize: query.limit,
      ...(query.status ? { status: query.status } : {}),
      ...(query.runbook ? { runbook: query.runbook } : {}),
      ...(query.pageToken ? { nextPageToken: query.pageToken } : {}),
    });
    res.json(page);
  });

  router.get('/runs/:runId', requireRole('viewer'), async (req, res) => {
    const { runId } = parseOrThrow(RunIdParam, req.params, 'path');
    parseOrThrow(NoQuery, req.query, 'query');
    res.json(await runs.getState(runId));
  });

  router.post('/runs/:runId/approvals/:gateId', requireRole('approver', 'admin'), async (req, res) => {
    const { runId, gateId } = parseOrThrow(GateParams, req.params, 'path');
    parseOrThrow(NoQuery, req.query, 'query');
    const body = parseOrThrow(DecisionBody, req.body ?? {}, 'request body');
    const principal = principalOf(res);
    const gate = await runs.decide(runId, {
      gateId,
      decision: body.decision,
      approver: principal.sub,
      approverRoles: principal.roles,
      ...(body.comment !== undefined ? { comment: body.comment } : {}),
      via: 'api',
    });
    res.json(gate);
  });

  router.post('/runs/:runId/cancel', requireRole('operator'), async (req, res) => {
    const { runId } = parseOrThrow(RunIdParam, req.params, 'path');
    parseOrThrow(NoQuery, req.query, 'query');
    parseOrThrow(NoQuery, req.body ?? {}, 'request body');
    await runs.cancel(runId);
    res.status(202).json({ runId, status: 'cancelling', links: runLinks(config, runId) });
  });

  return router;
}
