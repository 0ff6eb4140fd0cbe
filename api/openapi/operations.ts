import { z } from 'zod';
import { AlertmanagerPayload } from '../../incidents/alertmanagerPayload';
import { CreateIncidentBody, FeedbackBody, IncidentIdParam, ListIncidentsQuery, NoteBody, RemediateBody, ResolveBody } from '../../incidents/api/incidentSchemas';
import { RunbookDefinition } from '../../domain/runbook';
import { PauseBody, PauseQuery, ResumeBody } from '../../domain/pause';
import { RunState } from '../../domain/runState';
import type { Role } from '../../domain/roles';
import { RunPlan } from '../../domain/dryRunPlan';
import { ApprovalInboxPage } from '../approvalInbox';
import { ApprovalsQuery } from '../routes/approvals';
import { AuditQuery } from '../routes/audit';
import { MeResponse } from '../routes/me';
import { PlanRunBody } from '../routes/runPlan';
import { DraftIdParam, DraftRunBody, EmptyBody, ListDraftsQuery } from '../routes/runbookPlanner';
import { ComposeBody } from '../../runbooks/planner/runbookPlanner';
import { ListSessionsQuery } from '../routes/sessionList';
import { MemoryIdParam, MemorySearchQuery, RememberBody } from '../routes/memories';
import { ParseBody } from '../routes/nlp';
import { HistoryQuery, MessageBody, MessageQuery, SessionIdParam } from '../routes/sessions';
import { SlackUserBody, SlackUserIdParam } from '../../slack/userRoutes';
import { DecisionBody, EventsQuery, GateParams, ListRunsQuery, RunIdParam, RunbookNameParam, StartRunBody } from '../schemas';

/**
 * Every operation of the HTTP API, with the zod schemas its handler parses (the same objects, so
 * the spec cannot drift from validation) and the statuses it can answer. The OpenAPI document is
 * generated from this list; `test/api/openapi.test.ts` walks the Express router and fails when a
 * route is missing here or answers a status not listed.
 */
export interface Operation {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Express path, e.g. /api/v1/runs/:runId (converted to {runId}). */
  path: string;
  summary: string;
  tag: string;
  /** Roles that may call it; undefined: no authentication (probes, docs, metrics). */
  roles?: readonly Role[];
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Success status → description (and schema when one exists). */
  ok: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  /** Error statuses beyond the ones every authenticated route has (400, 401, 403, 405, 413, 415, 429). */
  errors?: readonly number[];
  /** Server-sent events stream. */
  sse?: boolean;
}

const RunAccepted = z.object({ runId: z.string(), status: z.string(), links: z.record(z.string(), z.string()).optional() }).loose();
const Page = (item: z.ZodType) => z.object({ items: z.array(item), nextPageToken: z.string().optional() }).loose();
const AnyObject = z.object({}).loose();
const EvidenceParams = IncidentIdParam.extend({ evidenceId: z.string().describe('evidence id; may contain "/" (e.g. inc-1/r1/prometheus/0)') });
const LastEventIdHeader = 'Last-Event-ID';

export const OPERATIONS: readonly Operation[] = [
  { method: 'get', path: '/health', summary: 'Liveness probe', tag: 'probes', ok: { 200: { description: 'the process is up' } } },
  { method: 'get', path: '/ready', summary: 'Readiness probe (Temporal and the database reachable)', tag: 'probes', ok: { 200: { description: 'ready' } }, errors: [503] },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (METRICS_TOKEN bearer when configured)',
    tag: 'probes',
    ok: { 200: { description: 'Prometheus text exposition', contentType: 'text/plain' } },
    errors: [401],
  },
  { method: 'get', path: '/api/v1/openapi.json', summary: 'This document', tag: 'docs', ok: { 200: { description: 'OpenAPI 3.1 document' } } },
  { method: 'get', path: '/api/v1/docs', summary: 'Rendered API reference', tag: 'docs', ok: { 200: { description: 'HTML reference page', contentType: 'text/html' } } },
  { method: 'get', path: '/api/v1/docs.css', summary: 'Stylesheet of the reference page', tag: 'docs', ok: { 200: { description: 'CSS', contentType: 'text/css' } } },

  {
    method: 'post',
    path: '/api/v1/webhooks/alertmanager',
    summary: 'Alertmanager webhook (v4 payload): opens or updates incidents',
    tag: 'incidents',
    roles: ['operator'],
    body: AlertmanagerPayload,
    ok: {
      202: { description: 'accepted; incidents started or updated', schema: AnyObject },
      200: { description: 'nothing to do (e.g. resolved alerts of no open incident)', schema: AnyObject },
    },
    errors: [503],
  },

  {
    method: 'get',
    path: '/api/v1/runbooks',
    summary: 'List the runbook catalogue',
    tag: 'runbooks',
    roles: ['viewer'],
    ok: { 200: { description: 'runbooks', schema: z.object({ items: z.array(AnyObject) }).loose() } },
  },
  {
    method: 'get',
    path: '/api/v1/runbooks/:name',
    summary: 'One runbook definition',
    tag: 'runbooks',
    roles: ['viewer'],
    params: RunbookNameParam,
    ok: { 200: { description: 'the definition', schema: RunbookDefinition } },
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/v1/runbooks/compose',
    summary: 'Compose a runbook for a goal: with an LLM a draft (definition, dry-run plan, digest) from catalogue templates only; without one the closest catalogue runbooks',
    tag: 'runbooks',
    roles: ['operator'],
    body: ComposeBody,
    ok: {
      201: { description: 'a draft was composed and saved (nothing started)', schema: AnyObject },
      200: { description: 'rules path: the closest catalogue runbooks, each with why it matched', schema: AnyObject },
    },
    errors: [422, 503],
  },
  {
    method: 'get',
    path: '/api/v1/runbooks/drafts',
    summary: 'Composed runbook drafts, newest first',
    tag: 'runbooks',
    roles: ['viewer'],
    query: ListDraftsQuery,
    ok: { 200: { description: 'drafts', schema: z.object({ items: z.array(AnyObject) }).loose() } },
    errors: [503],
  },
  {
    method: 'get',
    path: '/api/v1/runbooks/drafts/:id',
    summary: 'One draft: its definition, dry-run plan and digest',
    tag: 'runbooks',
    roles: ['viewer'],
    params: DraftIdParam,
    ok: { 200: { description: 'the draft', schema: AnyObject } },
    errors: [404, 503],
  },
  {
    method: 'post',
    path: '/api/v1/runbooks/drafts/:id/runs',
    summary: 'Start a run of a draft (admin, like an inline definition); its approval gates apply',
    tag: 'runbooks',
    roles: ['admin'],
    params: DraftIdParam,
    body: DraftRunBody,
    ok: {
      202: { description: 'started', schema: RunAccepted },
      200: { description: 'the existing run for this idempotency key', schema: RunAccepted },
    },
    errors: [404, 409, 422, 503],
  },
  {
    method: 'post',
    path: '/api/v1/runbooks/drafts/:id/promote',
    summary: 'Write a draft into the catalogue directory as <name>.yaml for review in git (never over an existing file)',
    tag: 'runbooks',
    roles: ['admin'],
    params: DraftIdParam,
    body: EmptyBody,
    ok: { 201: { description: 'promoted: the file written', schema: AnyObject } },
    errors: [404, 409, 422, 503],
  },
  {
    method: 'post',
    path: '/api/v1/runbooks/drafts/:id/discard',
    summary: 'Discard a draft (its author or an admin)',
    tag: 'runbooks',
    roles: ['operator'],
    params: DraftIdParam,
    body: EmptyBody,
    ok: { 200: { description: 'discarded', schema: AnyObject } },
    errors: [404, 409, 503],
  },

  {
    method: 'post',
    path: '/api/v1/runs',
    summary: 'Start a run (an inline definition needs admin)',
    tag: 'runs',
    roles: ['operator'],
    body: StartRunBody,
    ok: {
      202: { description: 'started (or the existing run for the same idempotency key)', schema: RunAccepted },
      200: { description: 'the existing run for this idempotency key', schema: RunAccepted },
    },
    errors: [404, 409, 422, 503],
  },
  {
    method: 'get',
    path: '/api/v1/runs',
    summary: 'List runs (filters, paging)',
    tag: 'runs',
    roles: ['viewer'],
    query: ListRunsQuery,
    ok: { 200: { description: 'a page of runs', schema: Page(AnyObject) } },
    errors: [503],
  },
  {
    method: 'get',
    path: '/api/v1/runs/:runId',
    summary: "A run's state",
    tag: 'runs',
    roles: ['viewer'],
    params: RunIdParam,
    ok: { 200: { description: 'run state', schema: RunState } },
    errors: [404, 503],
  },
  {
    method: 'post',
    path: '/api/v1/runs/:runId/approvals/:gateId',
    summary: 'Approve or reject a gate (four-eyes, roles, digest)',
    tag: 'runs',
    roles: ['approver', 'admin'],
    params: GateParams,
    body: DecisionBody,
    ok: { 200: { description: 'the gate after the decision', schema: AnyObject } },
    errors: [404, 409, 503],
  },
  {
    method: 'post',
    path: '/api/v1/runs/:runId/pause',
    summary: 'Pause a run: no new step starts (?immediate=true cancels restartable running steps, re-run on resume)',
    tag: 'runs',
    roles: ['operator'],
    params: RunIdParam,
    query: PauseQuery,
    body: PauseBody,
    ok: { 200: { description: 'the run, paused', schema: RunAccepted } },
    errors: [404, 409, 503],
  },
  {
    method: 'post',
    path: '/api/v1/runs/:runId/resume',
    summary: 'Resume a paused run, optionally with new values for some params (open gates re-plan; votes on a changed plan are dropped)',
    tag: 'runs',
    roles: ['operator'],
    params: RunIdParam,
    body: ResumeBody,
    ok: { 200: { description: 'the run, resumed', schema: RunAccepted } },
    errors: [404, 409, 422, 503],
  },
  {
    method: 'post',
    path: '/api/v1/runs/:runId/cancel',
    summary: 'Cancel a run (completed steps are compensated)',
    tag: 'runs',
    roles: ['operator'],
    params: RunIdParam,
    ok: { 202: { description: 'cancellation requested', schema: AnyObject } },
    errors: [404, 409, 503],
  },
  {
    method: 'get',
    path: '/api/v1/runs/:runId/events',
    summary: "A run's progress as server-sent events (Last-Event-ID resume)",
    tag: 'runs',
    roles: ['viewer'],
    params: RunIdParam,
    query: EventsQuery,
    sse: true,
    ok: { 200: { description: 'text/event-stream of run events', contentType: 'text/event-stream' } },
    errors: [404, 503],
  },

  {
    method: 'get',
    path: '/api/v1/me',
    summary: 'The caller: subject, roles, what they may do, the Temporal UI',
    tag: 'surfaces',
    roles: ['viewer'],
    ok: { 200: { description: 'the caller', schema: MeResponse } },
  },
  {
    method: 'get',
    path: '/api/v1/sessions',
    summary: "The caller's chat sessions, newest first (paging)",
    tag: 'chat',
    roles: ['viewer'],
    query: ListSessionsQuery,
    ok: { 200: { description: 'a page of sessions', schema: Page(AnyObject) } },
    errors: [503],
  },
  {
    method: 'get',
    path: '/api/v1/approvals',
    summary: 'Every approval gate waiting now, with whether the caller may decide it (and why not)',
    tag: 'runs',
    roles: ['viewer'],
    query: ApprovalsQuery,
    ok: { 200: { description: 'pending approvals, newest first', schema: ApprovalInboxPage } },
    errors: [503],
  },
  {
    method: 'get',
    path: '/api/v1/approvals/events',
    summary: 'The approvals feed as server-sent events: opened, decided, run closed (Last-Event-ID resume)',
    tag: 'runs',
    roles: ['viewer'],
    query: EventsQuery,
    sse: true,
    ok: { 200: { description: 'text/event-stream of approval.* and run terminal events', contentType: 'text/event-stream' } },
    errors: [503],
  },
  {
    method: 'post',
    path: '/api/v1/runs/plan',
    summary: 'Dry-run plan of a run: validated params, steps in batch order, the gates that will stop it',
    tag: 'runs',
    roles: ['operator'],
    body: PlanRunBody,
    ok: { 200: { description: 'the plan', schema: RunPlan } },
    errors: [404, 422],
  },

  {
    method: 'post',
    path: '/api/v1/sessions',
    summary: 'Start a chat session',
    tag: 'chat',
    roles: ['viewer'],
    ok: { 201: { description: 'the new session', schema: AnyObject } },
    errors: [503],
  },
  {
    method: 'get',
    path: '/api/v1/sessions/:id',
    summary: "A chat session's state",
    tag: 'chat',
    roles: ['viewer'],
    params: SessionIdParam,
    ok: { 200: { description: 'session state', schema: AnyObject } },
    errors: [404, 503],
  },
  {
    method: 'post',
    path: '/api/v1/sessions/:id/messages',
    summary: 'Send a chat message (optionally wait for the reply)',
    tag: 'chat',
    roles: ['viewer'],
    params: SessionIdParam,
    query: MessageQuery,
    body: MessageBody,
    ok: { 200: { description: 'the reply (wait=true)', schema: AnyObject }, 202: { description: "queued; follow the session's events", schema: AnyObject } },
    errors: [404, 409, 503],
  },
  {
    method: 'get',
    path: '/api/v1/sessions/:id/messages',
    summary: "A session's message history",
    tag: 'chat',
    roles: ['viewer'],
    params: SessionIdParam,
    query: HistoryQuery,
    ok: { 200: { description: 'messages', schema: AnyObject } },
    errors: [404, 503],
  },
  {
    method: 'get',
    path: '/api/v1/sessions/:id/events',
    summary: "A session's events as server-sent events (Last-Event-ID resume)",
    tag: 'chat',
    roles: ['viewer'],
    params: SessionIdParam,
    query: EventsQuery,
    sse: true,
    ok: { 200: { description: 'text/event-stream', contentType: 'text/event-stream' } },
    errors: [404, 503],
  },
  {
    method: 'delete',
    path: '/api/v1/sessions/:id',
    summary: 'End a session and forget its memory',
    tag: 'chat',
    roles: ['viewer'],
    params: z.object({ id: z.string() }),
    ok: { 204: { description: 'ended and forgotten' } },
    errors: [404, 503],
  },
  {
    method: 'post',
    path: '/api/v1/nlp/parse',
    summary: 'Understand one utterance (intent, entities, queries); changes nothing',
    tag: 'chat',
    roles: ['viewer'],
    body: ParseBody,
    ok: { 200: { description: 'understanding', schema: AnyObject } },
    errors: [503],
  },

  {
    method: 'post',
    path: '/api/v1/memories',
    summary: 'Store a long-term memory (redacted)',
    tag: 'memory',
    roles: ['operator'],
    body: RememberBody,
    ok: { 201: { description: 'stored', schema: AnyObject } },
    errors: [503],
  },
  {
    method: 'get',
    path: '/api/v1/memories/search',
    summary: 'Search long-term memory',
    tag: 'memory',
    roles: ['viewer'],
    query: MemorySearchQuery,
    ok: { 200: { description: 'matches', schema: AnyObject } },
    errors: [503],
  },
  {
    method: 'get',
    path: '/api/v1/memories/:id',
    summary: 'One memory',
    tag: 'memory',
    roles: ['viewer'],
    params: MemoryIdParam,
    ok: { 200: { description: 'the memory', schema: AnyObject } },
    errors: [404, 503],
  },
  {
    method: 'delete',
    path: '/api/v1/memories/:id',
    summary: 'Forget one memory',
    tag: 'memory',
    roles: ['operator'],
    params: MemoryIdParam,
    ok: { 204: { description: 'forgotten' } },
    errors: [404, 503],
  },

  {
    method: 'post',
    path: '/api/v1/incidents',
    summary: 'Open an incident and start its investigation',
    tag: 'incidents',
    roles: ['operator'],
    body: CreateIncidentBody,
    ok: { 202: { description: 'investigation started', schema: AnyObject }, 200: { description: 'the open incident with the same fingerprint', schema: AnyObject } },
    errors: [409, 503],
  },
  {
    method: 'get',
    path: '/api/v1/incidents',
    summary: 'List incidents',
    tag: 'incidents',
    roles: ['viewer'],
    query: ListIncidentsQuery,
    ok: { 200: { description: 'incidents', schema: AnyObject } },
    errors: [503],
  },
  {
    method: 'get',
    path: '/api/v1/incidents/:incidentId',
    summary: "An incident's state (hypotheses, evidence, budget)",
    tag: 'incidents',
    roles: ['viewer'],
    params: IncidentIdParam,
    ok: { 200: { description: 'incident state', schema: AnyObject } },
    errors: [404, 503],
  },
  {
    method: 'get',
    path: '/api/v1/incidents/:incidentId/report',
    summary: 'Markdown postmortem (untrusted text fenced)',
    tag: 'incidents',
    roles: ['viewer'],
    params: IncidentIdParam,
    ok: { 200: { description: 'markdown', contentType: 'text/markdown' } },
    errors: [404, 503],
  },
  {
    method: 'get',
    path: '/api/v1/incidents/:incidentId/evidence/*evidenceId',
    summary: 'One piece of evidence with its raw body and query range',
    tag: 'incidents',
    roles: ['viewer'],
    params: EvidenceParams,
    ok: { 200: { description: 'evidence', schema: AnyObject } },
    errors: [404, 503],
  },
  {
    method: 'get',
    path: '/api/v1/incidents/:incidentId/events',
    summary: "An incident's events as server-sent events",
    tag: 'incidents',
    roles: ['viewer'],
    params: IncidentIdParam,
    query: EventsQuery,
    sse: true,
    ok: { 200: { description: 'text/event-stream', contentType: 'text/event-stream' } },
    errors: [404, 503],
  },
  {
    method: 'post',
    path: '/api/v1/incidents/:incidentId/notes',
    summary: 'Add a note',
    tag: 'incidents',
    roles: ['operator'],
    params: IncidentIdParam,
    body: NoteBody,
    ok: { 202: { description: 'note accepted', schema: AnyObject } },
    errors: [404, 409, 422, 503],
  },
  {
    method: 'post',
    path: '/api/v1/incidents/:incidentId/feedback',
    summary: 'Confirm or reject a hypothesis',
    tag: 'incidents',
    roles: ['operator'],
    params: IncidentIdParam,
    body: FeedbackBody,
    ok: { 202: { description: 'feedback accepted', schema: AnyObject } },
    errors: [404, 409, 422, 503],
  },
  {
    method: 'post',
    path: '/api/v1/incidents/:incidentId/resolve',
    summary: 'Resolve (the postmortem is drafted, the resolution remembered)',
    tag: 'incidents',
    roles: ['operator'],
    params: IncidentIdParam,
    body: ResolveBody,
    ok: { 202: { description: 'resolving', schema: AnyObject } },
    errors: [404, 409, 503],
  },
  {
    method: 'post',
    path: '/api/v1/incidents/:incidentId/remediate',
    summary: 'Start a proposed remediation (as a run with its gates)',
    tag: 'incidents',
    roles: ['operator'],
    params: IncidentIdParam,
    body: RemediateBody,
    ok: { 202: { description: 'remediation run started', schema: AnyObject } },
    errors: [404, 409, 422, 503],
  },

  {
    method: 'get',
    path: '/api/v1/audit',
    summary: 'The audit trail (hash-chained; cursor paging)',
    tag: 'audit',
    roles: ['admin'],
    query: AuditQuery,
    ok: { 200: { description: 'a page of audit rows', schema: AnyObject } },
    errors: [503],
  },

  {
    method: 'get',
    path: '/api/v1/slack/users',
    summary: 'Slack user → copilot subject and roles (SLACK_USERS entries and the admin-managed table)',
    tag: 'slack',
    roles: ['admin'],
    ok: { 200: { description: 'mappings', schema: AnyObject } },
    errors: [503],
  },
  {
    method: 'put',
    path: '/api/v1/slack/users/:slackUserId',
    summary: 'Map a Slack user to a subject and roles (not one from SLACK_USERS)',
    tag: 'slack',
    roles: ['admin'],
    params: SlackUserIdParam,
    body: SlackUserBody,
    ok: { 201: { description: 'mapped', schema: AnyObject }, 200: { description: 'mapping replaced', schema: AnyObject } },
    errors: [409, 503],
  },
  {
    method: 'delete',
    path: '/api/v1/slack/users/:slackUserId',
    summary: "Remove a Slack user's mapping from the table",
    tag: 'slack',
    roles: ['admin'],
    params: SlackUserIdParam,
    ok: { 204: { description: 'removed' } },
    errors: [404, 503],
  },
];

export { LastEventIdHeader };
