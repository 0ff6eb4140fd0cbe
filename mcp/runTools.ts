import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { runLinks } from '../api/routes/runs';
import { HttpProblem } from '../api/problem';
import { resolveRunRequest } from '../api/runRequest';
import { DecisionBody, GateParams, ListRunsQuery, RunbookNameParam, RunIdParam, StartRunBody } from '../api/schemas';
import { PlannedGate, planRun, RunPlan } from '../domain/dryRunPlan';
import type { StoredEvent } from '../domain/events';
import { RunbookName } from '../domain/runbook';
import { ApprovalState, RunState, RunStatus } from '../domain/runState';
import type { McpDeps } from './mcpDeps';
import type { CallContext } from './toolCall';
import { registerGuardedTool, type ToolExtra } from './toolRegistry';

/**
 * Runbook and run tools. Inputs are the REST schemas (api/schemas.ts); the only differences are
 * that MCP arguments are JSON, so `limit` is a number rather than a query-string digit string,
 * and that `start_run` takes catalogue runbooks only: an inline definition runs arbitrary
 * allow-listed commands and is not something an AI client may hand the copilot.
 */
const Params = StartRunBody.shape.params;
const RunRequestInput = z.strictObject({ runbook: RunbookName, params: Params });
const Limit = (max: number, fallback: number) => z.number().int().min(1).max(max).default(fallback);

const StartRunInput = RunRequestInput.extend({
  idempotencyKey: StartRunBody.shape.idempotencyKey,
  wait: z.boolean().default(false).describe('Follow the run (progress notifications) until it waits at a gate, finishes, or waitSeconds pass'),
  waitSeconds: z.number().int().min(1).max(300).default(30),
});

const RunSummary = z.object({
  runId: z.string(),
  runbook: z.string(),
  status: RunStatus,
  requestedBy: z.string(),
  startTime: z.string(),
  closeTime: z.string().optional(),
});

const Links = z.object({ self: z.string(), events: z.string(), temporalUi: z.string() });

const PendingApproval = ApprovalState.pick({ gateId: true, requiredRoles: true, requiredCount: true, fourEyes: true, message: true, requestedAt: true, expiresAt: true }).extend({
  runId: z.string(),
  runbook: z.string(),
  requestedBy: z.string(),
  votes: z.number().int(),
  /** The engine's approval digest, when it has one: send it back with a decision. */
  digest: z.string().optional(),
});

/** Run events after which a followed start stops waiting: a gate, or the end. */
const STOP_EVENTS = new Set(['approval.requested', 'run.completed', 'run.failed', 'run.cancelled', 'run.paused']);

function describeEvent(event: StoredEvent): string {
  const step = typeof event.data.stepId === 'string' ? ` ${event.data.stepId}` : typeof event.data.gateId === 'string' ? ` ${event.data.gateId}` : '';
  return `${event.type}${step}`;
}

/** Follows a run's durable event log, one progress notification per event, until a stop event or the deadline. */
async function follow(deps: McpDeps, runId: string, seconds: number, extra: ToolExtra): Promise<{ events: number; stoppedAt?: string }> {
  const token = extra._meta?.progressToken;
  let events = 0;
  return new Promise((resolve) => {
    let finished = false;
    // A holder, not a const: the fanout may deliver (and so finish) before subscribe() returns.
    const held: { subscription?: { close(): void } } = {};
    const finish = (stoppedAt?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      extra.signal.removeEventListener('abort', onAbort);
      held.subscription?.close();
      resolve({ events, ...(stoppedAt ? { stoppedAt } : {}) });
    };
    const onAbort = () => finish();
    const timer = setTimeout(() => finish(), seconds * 1000);
    extra.signal.addEventListener('abort', onAbort);
    held.subscription = deps.fanout.subscribe(runId, 0, (event) => {
      if (finished) return;
      events += 1;
      if (token !== undefined) {
        void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: events, message: describeEvent(event) } }).catch(() => undefined);
      }
      if (STOP_EVENTS.has(event.type)) finish(event.type);
    });
    if (finished) held.subscription.close();
  });
}

export function registerRunTools(server: McpServer, ctx: CallContext, deps: McpDeps): void {
  registerGuardedTool(
    server,
    ctx,
    {
      name: 'list_runbooks',
      title: 'List runbooks',
      description: 'The runbook catalogue: name, description, params and steps of each runbook.',
      input: z.strictObject({}),
      output: z.object({ items: z.array(z.record(z.string(), z.unknown())) }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      policy: { roles: ['viewer'], action: 'mcp.list_runbooks' },
    },
    async () => ({ items: deps.catalogue.list() as Record<string, unknown>[] }),
  );

  registerGuardedTool(
    server,
    ctx,
    {
      name: 'describe_runbook',
      title: 'Describe a runbook',
      description: "One runbook's full definition (params with types and defaults, steps, approval gates). Also readable as the resource copilot://runbooks/{name}.",
      input: z.strictObject(RunbookNameParam.shape),
      output: z.object({ runbook: z.record(z.string(), z.unknown()) }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      policy: { roles: ['viewer'], action: 'mcp.describe_runbook', target: (a) => String(a.name) },
    },
    async ({ name }) => {
      const runbook = deps.catalogue.get(name);
      if (!runbook) throw new HttpProblem(404, 'runbook-not-found', `no runbook named "${name}" in the catalogue`);
      return { runbook: runbook as unknown as Record<string, unknown> };
    },
  );

  registerGuardedTool(
    server,
    ctx,
    {
      name: 'plan_run',
      title: 'Plan a run',
      description:
        'The dry run of start_run (POST /api/v1/runs/plan): what a run of a catalogue runbook with these params would do, without starting it — params as resolved, steps in batches with their rendered actions, which conditions the params already decide, and the approval gates the run will stop at.',
      input: RunRequestInput,
      output: RunPlan,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      policy: { roles: ['operator'], action: 'mcp.plan_run', target: (a) => String(a.runbook) },
    },
    async (args) => {
      const { runbook, params } = resolveRunRequest({ runbook: args.runbook, params: args.params }, ctx.principal, deps.catalogue);
      return planRun(runbook, params);
    },
  );

  registerGuardedTool(
    server,
    ctx,
    {
      name: 'start_run',
      title: 'Start a runbook run',
      description: [
        'Starts a catalogue runbook (operator role). Returns the run id, its status and the approval gates it will wait at (stops: stop, or maybe when decided at run time):',
        'a mutating step behind a gate only runs after a human approves it outside MCP.',
        'With wait=true the call follows the run (progress notifications, one per run event) until it waits at a gate, finishes, or waitSeconds pass.',
        'idempotencyKey makes a retried start return the same run.',
      ].join(' '),
      input: StartRunInput,
      output: z.object({
        runId: z.string(),
        status: RunStatus,
        created: z.boolean(),
        links: Links,
        gates: z.array(PlannedGate),
        followed: z.object({ events: z.number().int(), stoppedAt: z.string().optional() }).optional(),
        state: RunState.optional(),
      }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      policy: { roles: ['operator'], action: 'run.start', target: (a, r) => (typeof r?.runId === 'string' ? r.runId : String(a.runbook)) },
    },
    async (args, extra) => {
      const { runbook, params } = resolveRunRequest({ runbook: args.runbook, params: args.params }, ctx.principal, deps.catalogue);
      const started = await deps.runs.startRun({
        runbook,
        params,
        requestedBy: ctx.principal,
        ...(args.idempotencyKey !== undefined ? { idempotencyKey: args.idempotencyKey } : {}),
      });
      const gates = planRun(runbook, params).gates.filter((g) => g.stops !== 'skipped');
      const base = { runId: started.runId, status: started.status, created: started.created, links: runLinks(deps.config, started.runId), gates };
      if (!args.wait) return base;
      const followed = await follow(deps, started.runId, args.waitSeconds, extra);
      const state = await deps.runs.getState(started.runId);
      return { ...base, status: state.status, followed, state };
    },
  );

  registerGuardedTool(
    server,
    ctx,
    {
      name: 'get_run',
      title: 'Get a run',
      description: "A run's state: status, what it is waiting for, each step and each approval gate with its votes.",
      input: z.strictObject(RunIdParam.shape),
      output: RunState,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      policy: { roles: ['viewer'], action: 'mcp.get_run', target: (a) => String(a.runId) },
    },
    async ({ runId }) => deps.runs.getState(runId),
  );

  registerGuardedTool(
    server,
    ctx,
    {
      name: 'list_runs',
      title: 'List runs',
      description: 'Runs, newest first, optionally by status or runbook; pass nextPageToken back as pageToken for the next page.',
      input: ListRunsQuery.extend({ limit: Limit(100, 20) }),
      output: z.object({ items: z.array(RunSummary), nextPageToken: z.string().optional() }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      policy: { roles: ['viewer'], action: 'mcp.list_runs' },
    },
    async (query) =>
      deps.runs.listRuns({
        pageSize: query.limit,
        ...(query.status ? { status: query.status } : {}),
        ...(query.runbook ? { runbook: query.runbook } : {}),
        ...(query.pageToken ? { nextPageToken: query.pageToken } : {}),
      }),
  );

  registerGuardedTool(
    server,
    ctx,
    {
      name: 'cancel_run',
      title: 'Cancel a run',
      description: 'Cancels a run (operator role): the workflow stops and compensates the steps that declared a compensation.',
      input: z.strictObject(RunIdParam.shape),
      output: z.object({ runId: z.string(), status: z.literal('cancelling'), links: Links }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
      policy: { roles: ['operator'], action: 'run.cancel', target: (a) => String(a.runId) },
    },
    async ({ runId }) => {
      await deps.runs.cancel(runId);
      return { runId, status: 'cancelling' as const, links: runLinks(deps.config, runId) };
    },
  );

  registerGuardedTool(
    server,
    ctx,
    {
      name: 'list_pending_approvals',
      title: 'List pending approvals',
      description: 'Approval gates waiting for a human decision, across the runs waiting at one. Deciding is done by a person in the console, chat, Slack or the REST API.',
      input: z.strictObject({ runbook: RunbookName.optional(), limit: Limit(50, 20) }),
      output: z.object({ items: z.array(PendingApproval) }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      policy: { roles: ['viewer'], action: 'mcp.list_pending_approvals' },
    },
    async ({ runbook, limit }) => {
      const page = await deps.runs.listRuns({ pageSize: limit, status: 'waiting_approval', ...(runbook ? { runbook } : {}) });
      const states = await Promise.all(page.items.map((r) => deps.runs.getState(r.runId).catch(() => undefined)));
      const items = states.flatMap((state) =>
        (state?.approvals ?? [])
          .filter((g) => g.status === 'pending')
          .map((g) => {
            const digest = (g as { digest?: unknown }).digest;
            return {
              runId: state!.runId,
              runbook: state!.runbook,
              requestedBy: state!.requestedBy,
              gateId: g.gateId,
              requiredRoles: g.requiredRoles,
              requiredCount: g.requiredCount,
              fourEyes: g.fourEyes,
              ...(g.message !== undefined ? { message: g.message } : {}),
              requestedAt: g.requestedAt,
              expiresAt: g.expiresAt,
              votes: g.votes.length,
              ...(typeof digest === 'string' ? { digest } : {}),
            };
          }),
      );
      return { items };
    },
  );

  // Off by default: an AI client may never approve. When an admin turns it on, the caller's own
  // token must carry an approver role and the workflow's validator still enforces four-eyes.
  if (deps.config.MCP_ALLOW_APPROVALS) {
    registerGuardedTool(
      server,
      ctx,
      {
        name: 'decide_approval',
        title: 'Approve or reject a gate',
        description: 'Approves or rejects a pending approval gate as the caller (approver role; four-eyes gates refuse the requester). Enabled by MCP_ALLOW_APPROVALS=true.',
        input: z.strictObject({ ...GateParams.shape, ...DecisionBody.shape }),
        output: ApprovalState,
        annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
        policy: { roles: ['approver', 'admin'], action: 'approval.decide', target: (a) => `${String(a.runId)}/${String(a.gateId)}` },
      },
      async (args) => {
        const { runId, gateId, decision, comment, ...rest } = args as typeof args & { digest?: string };
        return deps.runs.decide(runId, {
          gateId,
          decision,
          approver: ctx.principal.sub,
          approverRoles: ctx.principal.roles,
          ...(comment !== undefined ? { comment } : {}),
          ...(typeof rest.digest === 'string' ? { digest: rest.digest } : {}),
          // Authenticated like an API decision; recorded as coming through MCP.
          via: 'mcp',
        });
      },
    );
  }
}
