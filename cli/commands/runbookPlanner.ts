import type { Command } from 'commander';
import { colors, printFields, printJson, printTable, safeText } from '../output';
import type { CliContext } from '../program';
import { parseParams } from './runs';

/**
 * `copilot runbooks compose "<goal>"` and `copilot runbooks drafts [list|show|run|promote|discard]`:
 * the planner (POST /api/v1/runbooks/compose, /api/v1/runbooks/drafts…). Composing prints the plan
 * and the draft id, never starts anything; `drafts run` is the admin's explicit start.
 */
interface PlannedStep {
  id: string;
  type: string;
  batch: number;
  gatedBy: string[];
  action: Record<string, unknown>;
}

interface Plan {
  steps: PlannedStep[];
  gates: { gateId: string; stops: string; roles: string[]; count: number; guards: string[] }[];
}

interface DraftSummary {
  id: string;
  name: string;
  description: string;
  status: string;
  createdBy: string;
  createdAt: string;
  steps: number;
  gates: string[];
  digest: string;
  goal: string;
}

interface ComposeAnswer {
  source: 'llm' | 'rules';
  degraded?: boolean;
  degradedReason?: string;
  matches?: { name: string; score: number; why: string; description: string }[];
  draft?: DraftSummary;
  plan?: Plan;
  digest?: string;
}

interface ParamSpec {
  type: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const draftPath = (id: string) => `/api/v1/runbooks/drafts/${encodeURIComponent(id)}`;

function printPlan(draft: DraftSummary, plan: Plan, digest: string): void {
  printFields([
    ['draft', draft.id],
    ['name', draft.name],
    ['description', draft.description],
    ['status', draft.status],
    ['digest', digest],
  ]);
  process.stdout.write(`\n${colors.bold('steps')}\n`);
  printTable(
    ['BATCH', 'ID', 'TYPE', 'AFTER GATES', 'ACTION'],
    plan.steps.map((s) => [s.batch, s.id, s.type, s.gatedBy.join(', '), JSON.stringify(s.action)]),
  );
  if (plan.gates.length) {
    process.stdout.write(`\n${colors.bold('gates')}\n`);
    printTable(
      ['GATE', 'STOPS', 'APPROVERS', 'GUARDS'],
      plan.gates.map((g) => [g.gateId, g.stops, `${g.count} of ${g.roles.join('/')}`, g.guards.join(', ')]),
    );
  }
}

export function registerPlannerCommands(runbooks: Command, ctx: CliContext): void {
  runbooks
    .command('compose')
    .description('compose a draft runbook for a goal from catalogue templates (needs an LLM on the API; without one: the closest catalogue runbooks). Starts nothing')
    .argument('<goal>', 'what the runbook should do, in words')
    .action(async (goal: string) => {
      const answer = await ctx.client().post<ComposeAnswer>('/api/v1/runbooks/compose', { goal });
      if (ctx.output() === 'json') return printJson(answer);
      if (answer.source === 'rules') {
        process.stdout.write(
          `${answer.degraded ? `the model could not compose a runbook (${safeText(answer.degradedReason ?? 'unavailable')}); ` : ''}no draft; closest catalogue runbooks:\n`,
        );
        if (!answer.matches?.length) return void process.stdout.write('(none)\n');
        return printTable(
          ['NAME', 'SCORE', 'WHY'],
          answer.matches.map((m) => [m.name, m.score.toFixed(2), m.why]),
        );
      }
      printPlan(answer.draft!, answer.plan!, answer.digest!);
      process.stdout.write(
        `\nA draft only: an admin starts it with \`copilot runbooks drafts run ${answer.draft!.id} -p name=value …\` or promotes it with \`copilot runbooks drafts promote ${answer.draft!.id}\`.\n`,
      );
    });

  const drafts = runbooks.command('drafts').description('composed runbook drafts');

  drafts
    .command('list', { isDefault: true })
    .description('drafts, newest first')
    .option('--status <status>', 'draft, promoted or discarded')
    .option('--limit <n>', 'at most this many (1-100)')
    .action(async (opts: { status?: string; limit?: string }) => {
      const query = new URLSearchParams({ ...(opts.status ? { status: opts.status } : {}), ...(opts.limit ? { limit: opts.limit } : {}) }).toString();
      const { items } = await ctx.client().get<{ items: DraftSummary[] }>(`/api/v1/runbooks/drafts${query ? `?${query}` : ''}`);
      if (ctx.output() === 'json') return printJson(items);
      printTable(
        ['ID', 'NAME', 'STATUS', 'STEPS', 'GATES', 'BY', 'CREATED'],
        items.map((d) => [d.id, d.name, d.status, d.steps, d.gates.join(', '), d.createdBy, d.createdAt]),
      );
    });

  drafts
    .command('show')
    .description('one draft: its plan, gates and digest')
    .argument('<id>', 'draft id')
    .action(async (id: string) => {
      const answer = await ctx.client().get<{ draft: DraftSummary; plan: Plan; digest: string }>(draftPath(id));
      if (ctx.output() === 'json') return printJson(answer);
      printPlan(answer.draft, answer.plan, answer.digest);
    });

  drafts
    .command('run')
    .description('start a run of the draft (admin); its approval gates apply')
    .argument('<id>', 'draft id')
    .option('-p, --param <name=value>', "a parameter (repeatable), typed by the draft's param specs", collect, [])
    .option('--idempotency-key <key>', 'makes a retried start return the same run')
    .action(async (id: string, opts: { param: string[]; idempotencyKey?: string }) => {
      const client = ctx.client();
      const specs = opts.param.length ? ((await client.get<{ definition: { params: Record<string, ParamSpec> } }>(draftPath(id))).definition.params ?? {}) : {};
      const started = await client.post<{ runId: string; status: string; gates: { gateId: string }[] }>(`${draftPath(id)}/runs`, {
        params: parseParams(opts.param, specs),
        ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}),
      });
      if (ctx.output() === 'json') return printJson(started);
      process.stdout.write(`${started.runId}\n`);
      if (started.gates.length) process.stdout.write(`waits at: ${started.gates.map((g) => g.gateId).join(', ')} (copilot runs watch ${started.runId})\n`);
    });

  drafts
    .command('promote')
    .description('write the draft into the catalogue directory as <name>.yaml for review (admin; never overwrites)')
    .argument('<id>', 'draft id')
    .action(async (id: string) => {
      const answer = await ctx.client().post<{ file: string; note: string }>(`${draftPath(id)}/promote`, {});
      if (ctx.output() === 'json') return printJson(answer);
      process.stdout.write(`${answer.file}: ${answer.note}\n`);
    });

  drafts
    .command('discard')
    .description('discard a draft (its author or an admin)')
    .argument('<id>', 'draft id')
    .action(async (id: string) => {
      const answer = await ctx.client().post<{ draft: DraftSummary }>(`${draftPath(id)}/discard`, {});
      if (ctx.output() === 'json') return printJson(answer);
      process.stdout.write(`${answer.draft.id} discarded\n`);
    });
}
