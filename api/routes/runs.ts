import { Router } from 'express';
import type { AppConfig } from '../../config/env';
import { requireRole } from '../auth/middleware';
import type { RunbookSource, RunOperations } from '../deps';
import { PauseBody, PauseQuery, ResumeBody } from '../../domain/pause';
import { HttpProblem, parseOrThrow } from '../problem';
import { principalOf, requestIdOf } from '../requestContext';
import { DigestMismatchError } from '../../temporal/runClient';
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
      ...(query.requester ? { requestedBy: query.requester } : {}),
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
    let gate;
    try {
      gate = await runs.decide(runId, {
        gateId,
        decision: body.decision,
        approver: principal.sub,
        approverRoles: principal.roles,
        ...(body.comment !== undefined ? { comment: body.comment } : {}),
        ...(body.digest !== undefined ? { digest: body.digest } : {}),
        ...(body.inputs !== undefined ? { inputs: body.inputs } : {}),
        via: 'api',
      });
    } catch (err) {
      // 409 with the digest the gate shows now, so the client can show that plan and ask again.
      if (!(err instanceof DigestMismatchError)) throw err;
      const problem = new HttpProblem(409, 'approval-digest-mismatch', err.message, [{ path: 'digest', message: `must be the gate's current digest ${err.currentDigest}` }]);
      res
        .status(409)
        .type('application/problem+json')
        .send(JSON.stringify({ ...problem.toBody(requestIdOf(res)), currentDigest: err.currentDigest }));
      return;
    }
    res.json(gate);
  });

  // Pause / resume (operator): a verified principal through the workflow's validated updates, so a
  // run that is not running (or not paused) answers 409 and leaves no trace in its history.
  router.post('/runs/:runId/pause', requireRole('operator'), async (req, res) => {
    const { runId } = parseOrThrow(RunIdParam, req.params, 'path');
    const query = parseOrThrow(PauseQuery, req.query, 'query');
    const body = parseOrThrow(PauseBody, req.body ?? {}, 'request body');
    const principal = principalOf(res);
    const state = await runs.pause(runId, {
      by: principal.sub,
      roles: principal.roles,
      reason: body.reason,
      ...(query.immediate === 'true' ? { immediate: true } : {}),
      via: 'api',
    });
    res.json({ runId, status: state.status, pause: state.pause, links: runLinks(config, runId) });
  });

  router.post('/runs/:runId/resume', requireRole('operator'), async (req, res) => {
    const { runId } = parseOrThrow(RunIdParam, req.params, 'path');
    parseOrThrow(NoQuery, req.query, 'query');
    const body = parseOrThrow(ResumeBody, req.body ?? {}, 'request body');
    const principal = principalOf(res);
    const state = await runs.resume(runId, {
      by: principal.sub,
      roles: principal.roles,
      ...(body.reason !== undefined ? { reason: body.reason } : {}),
      ...(body.params !== undefined ? { params: body.params } : {}),
      via: 'api',
    });
    res.json({ runId, status: state.status, params: state.params, links: runLinks(config, runId) });
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
