import { Router, type Response } from 'express';
import { requireRole } from '../../api/auth/middleware';
import { toProblem } from '../../api/errorHandler';
import type { EventSubscriptions, RunbookSource, RunOperations } from '../../api/deps';
import type { EventStreams } from '../../api/eventStreams';
import { HttpProblem, parseOrThrow } from '../../api/problem';
import { principalOf } from '../../api/requestContext';
import { resolveRunRequest } from '../../api/runRequest';
import { resumePoint, streamEvents } from '../../api/routes/runEvents';
import { EventsQuery, NoQuery } from '../../api/schemas';
import { CodedError } from '../../domain/codedError';
import type { IncidentService } from '../incidentService';
import { renderReport } from '../report';
import { CreateIncidentBody, FeedbackBody, IncidentIdParam, ListIncidentsQuery, NoteBody, RemediateBody, ResolveBody } from './incidentSchemas';

/**
 * /api/v1/incidents: create, list, inspect, notes, feedback, resolve, remediate, SSE and the
 * markdown report. Without an IncidentService (not wired in this process) every route is a 503.
 */
export interface IncidentRoutesDeps {
  incidents?: IncidentService;
  runs: Pick<RunOperations, 'startRun'>;
  catalogue: RunbookSource;
  fanout: EventSubscriptions;
  streams: EventStreams;
  heartbeatMs: number;
}

export const INCIDENT_TERMINAL_EVENTS: readonly string[] = ['incident.resolved'];

/**
 * IncidentErrors (any coded error) as the problems the routes answer, for callers that need the
 * HttpProblem itself (the MCP incident tools). The routes just throw: the one mapping table is in
 * api/errorHandler.ts.
 */
export function mapped<T>(p: Promise<T>): Promise<T> {
  return p.catch((err: unknown) => {
    throw err instanceof CodedError ? (toProblem(err) ?? err) : err;
  });
}

export function incidentRoutes(deps: IncidentRoutesDeps): Router {
  const router = Router();
  const service = (): IncidentService => {
    if (!deps.incidents) throw new HttpProblem(503, 'incidents-unavailable', 'incidents are not enabled in this API process');
    return deps.incidents;
  };
  const links = (id: string) => ({ self: `/api/v1/incidents/${id}`, events: `/api/v1/incidents/${id}/events`, report: `/api/v1/incidents/${id}/report` });
  const idOf = (params: unknown) => parseOrThrow(IncidentIdParam, params, 'path').incidentId;

  router.post('/incidents', requireRole('operator'), async (req, res) => {
    parseOrThrow(NoQuery, req.query, 'query');
    const body = parseOrThrow(CreateIncidentBody, req.body ?? {}, 'request body');
    const { incidentId } = await service().startIncident({ ...body, source: 'api', requestedBy: principalOf(res) });
    res
      .status(202)
      .location(links(incidentId).self)
      .json({ incidentId, status: 'investigating', links: links(incidentId) });
  });

  router.get('/incidents', requireRole('viewer'), async (req, res) => {
    const q = parseOrThrow(ListIncidentsQuery, req.query, 'query');
    res.json({ items: await service().repo.list({ limit: q.limit, ...(q.status ? { status: q.status } : {}), ...(q.service ? { service: q.service } : {}) }) });
  });

  router.get('/incidents/:incidentId', requireRole('viewer'), async (req, res) => {
    const id = idOf(req.params);
    parseOrThrow(NoQuery, req.query, 'query');
    res.json(await service().getState(id));
  });

  router.get('/incidents/:incidentId/report', requireRole('viewer'), async (req, res) => {
    const id = idOf(req.params);
    parseOrThrow(NoQuery, req.query, 'query');
    const svc = service();
    // The final report once resolved; a live draft from the current state before that.
    const report = (await svc.repo.getReport(id)) ?? renderReport(await svc.getState(id));
    res.type('text/markdown; charset=utf-8').send(report);
  });

  router.get('/incidents/:incidentId/evidence/*evidenceId', requireRole('viewer'), async (req, res) => {
    const id = idOf({ incidentId: req.params.incidentId });
    const segments = (req.params as { evidenceId?: string[] | string }).evidenceId;
    const evidence = await service().repo.getEvidence(id, Array.isArray(segments) ? segments.join('/') : String(segments));
    if (!evidence) throw new HttpProblem(404, 'evidence-not-found', 'no such evidence for this incident');
    res.json(evidence);
  });

  router.get('/incidents/:incidentId/events', requireRole('viewer'), async (req, res) => {
    const id = idOf(req.params);
    const afterSeq = resumePoint(req.get('last-event-id'), parseOrThrow(EventsQuery, req.query, 'query'));
    const state = await service().getState(id);
    await streamEvents(req, res, deps, { streamId: id, afterSeq, closed: state.status === 'resolved', terminalTypes: INCIDENT_TERMINAL_EVENTS });
  });

  router.post('/incidents/:incidentId/notes', requireRole('operator'), async (req, res) => {
    const id = idOf(req.params);
    const body = parseOrThrow(NoteBody, req.body ?? {}, 'request body');
    res.status(201).json(await service().addNote(id, { author: principalOf(res).sub, text: body.text }));
  });

  router.post('/incidents/:incidentId/feedback', requireRole('operator'), async (req, res) => {
    const id = idOf(req.params);
    const body = parseOrThrow(FeedbackBody, req.body ?? {}, 'request body');
    res.json(await service().feedback(id, { ...body, by: principalOf(res).sub }));
  });

  router.post('/incidents/:incidentId/resolve', requireRole('operator'), async (req, res) => {
    const id = idOf(req.params);
    const body = parseOrThrow(ResolveBody, req.body ?? {}, 'request body');
    res.json(await service().resolve(id, principalOf(res).sub, body.resolution));
  });

  router.post('/incidents/:incidentId/remediate', requireRole('operator'), async (req, res) => {
    await remediate(req.params, req.body, res);
  });

  /** Starts a PROPOSED action as the calling operator; the runbook's approval gates still apply. */
  async function remediate(params: unknown, rawBody: unknown, res: Response): Promise<void> {
    const id = idOf(params);
    const body = parseOrThrow(RemediateBody, rawBody ?? {}, 'request body');
    const svc = service();
    const state = await svc.getState(id);
    if (state.status === 'resolved') throw new HttpProblem(409, 'incident-resolved', `incident ${id} is resolved`);
    const action = state.actions.find((a) => a.id === body.actionId);
    if (!action) throw new HttpProblem(404, 'action-not-found', `incident ${id} has no proposed action ${body.actionId}`);
    const principal = principalOf(res);
    const { runbook, params: runParams } = resolveRunRequest({ runbook: action.runbook, params: action.params }, principal, deps.catalogue);
    // Keyed per incident + action: a repeated click lands on the same run.
    const started = await deps.runs.startRun({ runbook, params: runParams, requestedBy: principal, idempotencyKey: `incident:${id}:${action.id}`.slice(0, 200) });
    await svc.remediationStarted(id, action.id, started.runId, principal.sub);
    res
      .status(started.created ? 202 : 200)
      .json({ incidentId: id, actionId: action.id, runId: started.runId, status: started.status, links: { run: `/api/v1/runs/${started.runId}` } });
  }

  return router;
}
