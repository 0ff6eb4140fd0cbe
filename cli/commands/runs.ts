import type { Command } from 'commander';
import type { ApiClient } from '../apiClient';
import { ExitWith } from '../exitCodes';
import { colors, printFields, printJson, printTable, safeText, status } from '../output';
import type { CliContext, CommandModule } from '../program';
import { watchRun, type RunStateLike } from '../runProgress';

/**
 * `copilot runs start|plan|list|get|watch|approve|reject|cancel|pause|resume`. `--param k=v` values are typed
 * by the runbook's own param specs (a number param gets a number), so the API's validation decides
 * and its field errors come back as they are.
 */
interface ParamSpec {
  type: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `k=v` pairs typed by the runbook's specs; unknown names stay strings (the API names them). */
export function parseParams(pairs: readonly string[], specs: Record<string, ParamSpec>): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--param "${pair}": expected name=value`);
    const name = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    const type = specs[name]?.type;
    params[name] = typed(raw, type, name);
  }
  return params;
}

function typed(raw: string, type: string | undefined, name: string): unknown {
  switch (type) {
    case 'number':
    case 'integer':
      return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'array':
    case 'object':
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        throw new Error(`--param ${name}: a ${type} param takes JSON, e.g. ${type === 'array' ? '["a","b"]' : '{"k":"v"}'}`);
      }
    default:
      return raw;
  }
}

async function paramsFor(client: ApiClient, runbook: string, pairs: readonly string[]): Promise<Record<string, unknown>> {
  if (pairs.length === 0) return {};
  const def = await client.get<{ params: Record<string, ParamSpec> }>(`/api/v1/runbooks/${encodeURIComponent(runbook)}`);
  return parseParams(pairs, def.params ?? {});
}

const runPath = (id: string) => `/api/v1/runs/${encodeURIComponent(id)}`;

interface PlanStep {
  id: string;
  type: string;
  batch: number;
  when?: { expression: string; outcome: string };
  action: Record<string, unknown>;
  unresolved: string[];
}

interface Plan {
  runbook: string;
  params: Record<string, unknown>;
  batches: string[][];
  steps: PlanStep[];
  gates: { gateId: string; stops: string; message?: string; roles: string[]; count: number; fourEyes: boolean; guards: string[] }[];
}

function actionSummary(step: PlanStep): string {
  const a = step.action;
  if (Array.isArray(a.command)) return (a.command as unknown[]).map((w) => safeText(w)).join(' ');
  const request = a.request as { method?: string; url?: string } | undefined;
  if (request) return `${request.method ?? 'GET'} ${safeText(request.url)}`;
  if (typeof a.query === 'string') return a.query;
  if (typeof a.runbook === 'string') return `runbook ${a.runbook} ${JSON.stringify(a.params ?? {})}`;
  if (typeof a.duration === 'string') return `wait ${a.duration}`;
  if (typeof a.message === 'string') return a.message;
  return '';
}

function printPlan(plan: Plan): void {
  printFields([
    ['runbook', plan.runbook],
    ['params', JSON.stringify(plan.params)],
  ]);
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  plan.batches.forEach((ids, n) => {
    process.stdout.write(`\n${colors.bold(`batch ${n + 1}`)}\n`);
    for (const id of ids) {
      const step = byId.get(id)!;
      const when = step.when ? colors.dim(` [when ${step.when.expression}: ${step.when.outcome}]`) : '';
      const unresolved = step.unresolved.length > 0 ? colors.dim(` (resolved at run time: ${step.unresolved.join(', ')})`) : '';
      process.stdout.write(`  ${id} ${colors.dim(step.type)}  ${safeText(actionSummary(step))}${when}${unresolved}\n`);
    }
  });
  process.stdout.write(`\n${colors.bold('gates')}\n`);
  if (plan.gates.length === 0) process.stdout.write(`  ${colors.dim('(none: nothing will stop this run for approval)')}\n`);
  for (const g of plan.gates) {
    const stops = g.stops === 'stop' ? colors.yellow('will stop') : g.stops === 'skipped' ? colors.dim('skipped') : colors.yellow('may stop');
    process.stdout.write(
      `  ${g.gateId}: ${stops}; ${g.count} of ${g.roles.join('/')}${g.fourEyes ? ', four eyes (not the requester)' : ''}; guards ${g.guards.join(', ') || '-'}${g.message ? ` — ${safeText(g.message)}` : ''}\n`,
    );
  }
}

function printState(state: RunStateLike): void {
  printFields([
    ['run', state.runId],
    ['runbook', state.runbook],
    ['status', status(state.status)],
    ['requested by', state.requestedBy],
    ['started', state.startedAt],
    ['finished', state.finishedAt],
    ['waiting for', state.waitingFor],
    ['error', state.error],
    ['params', JSON.stringify(state.params)],
  ]);
  process.stdout.write(`\n${colors.bold('steps')}\n`);
  printTable(
    ['STEP', 'TYPE', 'STATUS', 'ATTEMPTS', 'ERROR'],
    state.steps.map((s) => [s.id, s.type, status(s.status), s.attempts, s.error ?? '']),
  );
  if (state.approvals.length > 0) {
    process.stdout.write(`\n${colors.bold('approvals')}\n`);
    printTable(
      ['GATE', 'STATUS', 'DECIDED BY', 'EXPIRES'],
      state.approvals.map((a) => [a.gateId, status(a.status), a.decidedBy ?? '', (a as { expiresAt?: string }).expiresAt ?? '']),
    );
  }
}

async function decide(ctx: CliContext, runId: string, gateArg: string | undefined, decision: 'approve' | 'reject', comment: string | undefined): Promise<void> {
  const client = ctx.client();
  const state = await client.get<RunStateLike>(runPath(runId));
  const pending = state.approvals.filter((a) => a.status === 'pending');
  const gate = gateArg ? state.approvals.find((a) => a.gateId === gateArg) : pending[0];
  if (!gateArg && pending.length !== 1) {
    throw new Error(pending.length === 0 ? `run ${runId} has no pending approval` : `run ${runId} waits on several gates (${pending.map((g) => g.gateId).join(', ')}): name one`);
  }
  const gateId = gateArg ?? gate!.gateId;
  // Send back the digest of what we looked at, when the run computed one (the API refuses a stale one with 409).
  const body: Record<string, unknown> = { decision, ...(comment !== undefined ? { comment } : {}), ...(gate?.digest ? { digest: gate.digest } : {}) };
  const result = await client.post<{ gateId: string; status: string; decidedBy?: string }>(`${runPath(runId)}/approvals/${encodeURIComponent(gateId)}`, body);
  if (ctx.output() === 'json') return printJson(result);
  process.stdout.write(`gate ${result.gateId}: ${status(result.status)}${result.decidedBy ? ` by ${result.decidedBy}` : ''}\n`);
}

export const runsCommand: CommandModule = (program: Command, ctx: CliContext) => {
  const runs = program.command('runs').description('start, follow, approve and cancel runs');

  runs
    .command('start')
    .description('start a catalogue runbook')
    .argument('<runbook>', 'runbook name')
    .option('-p, --param <name=value>', "a parameter (repeatable), typed by the runbook's param specs", collect, [])
    .option('--idempotency-key <key>', 'start at most one run for this key')
    .option('-w, --wait', 'follow the run until it ends; exit 0 succeeded, 1 failed, 2 cancelled or rejected')
    .action(async (runbook: string, opts: { param: string[]; idempotencyKey?: string; wait?: boolean }) => {
      const client = ctx.client();
      const params = await paramsFor(client, runbook, opts.param);
      const started = await client.post<{ runId: string; status: string; links: Record<string, string> }>('/api/v1/runs', {
        runbook,
        params,
        ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}),
      });
      if (!opts.wait) {
        if (ctx.output() === 'json') return printJson(started);
        process.stdout.write(`${started.runId}\n`);
        process.stderr.write(colors.dim(`follow it: copilot runs watch ${started.runId}   (Temporal UI: ${started.links.temporalUi ?? ''})\n`));
        return;
      }
      if (ctx.output() !== 'json') process.stdout.write(`${started.runId}\n`);
      // JSON for scripts: no progress lines, only the final state.
      const outcome = await watchRun(client, started.runId, { mode: ctx.output() === 'json' ? 'quiet' : 'lines' });
      if (ctx.output() === 'json') printJson(outcome.state);
      throw new ExitWith(outcome.exitCode);
    });

  runs
    .command('plan')
    .description('dry run: validate params and show the steps in batch order and the gates that will stop the run (starts nothing)')
    .argument('<runbook>', 'runbook name')
    .option('-p, --param <name=value>', 'a parameter (repeatable)', collect, [])
    .action(async (runbook: string, opts: { param: string[] }) => {
      const client = ctx.client();
      const plan = await client.post<Plan>('/api/v1/runs/plan', { runbook, params: await paramsFor(client, runbook, opts.param) });
      if (ctx.output() === 'json') return printJson(plan);
      printPlan(plan);
    });

  runs
    .command('list')
    .description('list runs, newest first')
    .option('--status <status>', 'running, waiting_approval, paused, compensating, succeeded, failed, cancelled')
    .option('--runbook <name>', 'only runs of this runbook')
    .option('--requester <subject>', 'only runs requested by this subject')
    .option('--limit <n>', 'page size (1-100)', '20')
    .option('--page-token <token>', 'the next page, from a previous listing')
    .action(async (opts: { status?: string; runbook?: string; requester?: string; limit: string; pageToken?: string }) => {
      const query = new URLSearchParams({ limit: opts.limit });
      if (opts.status) query.set('status', opts.status);
      if (opts.runbook) query.set('runbook', opts.runbook);
      if (opts.requester) query.set('requester', opts.requester);
      if (opts.pageToken) query.set('pageToken', opts.pageToken);
      const page = await ctx
        .client()
        .get<{ items: { runId: string; runbook: string; status: string; requestedBy: string; startTime: string; closeTime?: string }[]; nextPageToken?: string }>(
          `/api/v1/runs?${query.toString()}`,
        );
      if (ctx.output() === 'json') return printJson(page);
      printTable(
        ['RUN', 'RUNBOOK', 'STATUS', 'REQUESTED BY', 'STARTED', 'CLOSED'],
        page.items.map((r) => [r.runId, r.runbook, status(r.status), r.requestedBy, r.startTime, r.closeTime ?? '']),
      );
      if (page.nextPageToken) process.stderr.write(colors.dim(`more: --page-token ${page.nextPageToken}\n`));
    });

  runs
    .command('get')
    .description('one run: status, steps, approvals')
    .argument('<runId>', 'run id')
    .action(async (runId: string) => {
      const state = await ctx.client().get<RunStateLike>(runPath(runId));
      if (ctx.output() === 'json') return printJson(state);
      printState(state);
    });

  runs
    .command('watch')
    .description('follow a run live, step by step; exit 0 succeeded, 1 failed, 2 cancelled or rejected (--output json: one event per line)')
    .argument('<runId>', 'run id')
    .action(async (runId: string) => {
      const outcome = await watchRun(ctx.client(), runId, { mode: ctx.output() === 'json' ? 'ndjson' : 'lines' });
      throw new ExitWith(outcome.exitCode);
    });

  for (const decision of ['approve', 'reject'] as const) {
    runs
      .command(decision)
      .description(`${decision} an approval gate (the only pending one when GATE is left out)`)
      .argument('<runId>', 'run id')
      .argument('[gate]', 'gate (step) id')
      .option('-m, --comment <text>', 'a comment recorded with the decision')
      .action(async (runId: string, gate: string | undefined, opts: { comment?: string }) => decide(ctx, runId, gate, decision, opts.comment));
  }

  runs
    .command('cancel')
    .description('cancel a run (completed steps are compensated)')
    .argument('<runId>', 'run id')
    .action(async (runId: string) => {
      const result = await ctx.client().post<{ runId: string; status: string }>(`${runPath(runId)}/cancel`, {});
      if (ctx.output() === 'json') return printJson(result);
      process.stdout.write(`${result.runId}: ${result.status}\n`);
    });

  runs
    .command('pause')
    .description('pause a run: no new step starts until it is resumed')
    .argument('<runId>', 'run id')
    .requiredOption('-r, --reason <text>', 'why (recorded with the pause and in the audit trail)')
    .option('--immediate', 'also cancel running steps marked restartable (they run again on resume)')
    .action(async (runId: string, opts: { reason: string; immediate?: boolean }) => {
      const result = await ctx.client().post<{ runId: string; status: string }>(`${runPath(runId)}/pause${opts.immediate ? '?immediate=true' : ''}`, { reason: opts.reason });
      if (ctx.output() === 'json') return printJson(result);
      process.stdout.write(`${result.runId}: ${result.status}\n`);
    });

  runs
    .command('resume')
    .description('resume a paused run, optionally with new values for some params (open gates re-plan)')
    .argument('<runId>', 'run id')
    .option('-r, --reason <text>', 'why')
    .option('-p, --param <name=value>', "a new param value (repeatable), typed by the runbook's param specs", collect, [])
    .action(async (runId: string, opts: { reason?: string; param: string[] }) => {
      const client = ctx.client();
      let params: Record<string, unknown> | undefined;
      if (opts.param.length) {
        const run = await client.get<{ runbook: string }>(runPath(runId));
        params = await paramsFor(client, run.runbook, opts.param);
      }
      const result = await client.post<{ runId: string; status: string }>(`${runPath(runId)}/resume`, {
        ...(opts.reason ? { reason: opts.reason } : {}),
        ...(params ? { params } : {}),
      });
      if (ctx.output() === 'json') return printJson(result);
      process.stdout.write(`${result.runId}: ${result.status}\n`);
    });
};
