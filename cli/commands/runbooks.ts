import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseRunbookYaml } from '../../domain/runbookValidator';
import { formatIssue } from '../../domain/validationIssue';
import { ExitWith, EXIT } from '../exitCodes';
import { colors, printFields, printJson, printTable, safeText } from '../output';
import type { CliContext, CommandModule } from '../program';
import { registerPlannerCommands } from './runbookPlanner';

/**
 * `copilot runbooks list|show NAME|validate FILE`. `validate` runs offline with the API's own
 * validator (domain/runbookValidator.ts), so it reports the same paths and YAML lines.
 */
interface RunbookSummary {
  name: string;
  description?: string;
  steps?: number | unknown[];
  params?: Record<string, unknown>;
}

interface ParamSpec {
  type: string;
  required?: boolean;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  description?: string;
}

interface RunbookDefinition {
  name: string;
  description: string;
  params: Record<string, ParamSpec>;
  steps: { id: string; type: string; name?: string; needs?: string[]; when?: string }[];
}

export const runbooksCommand: CommandModule = (program: Command, ctx: CliContext) => {
  const runbooks = program.command('runbooks').description('the runbook catalogue');
  // compose / drafts: the planner (cli/commands/runbookPlanner.ts).
  registerPlannerCommands(runbooks, ctx);

  runbooks
    .command('list')
    .description('list the catalogue')
    .action(async () => {
      const { items } = await ctx.client().get<{ items: RunbookSummary[] }>('/api/v1/runbooks');
      if (ctx.output() === 'json') return printJson(items);
      printTable(
        ['NAME', 'STEPS', 'PARAMS', 'DESCRIPTION'],
        items.map((r) => [r.name, Array.isArray(r.steps) ? r.steps.length : (r.steps ?? ''), Object.keys(r.params ?? {}).join(', '), r.description ?? '']),
      );
    });

  runbooks
    .command('show')
    .description('one runbook: its params and steps')
    .argument('<name>', 'runbook name')
    .action(async (name: string) => {
      const def = await ctx.client().get<RunbookDefinition>(`/api/v1/runbooks/${encodeURIComponent(name)}`);
      if (ctx.output() === 'json') return printJson(def);
      printFields([
        ['name', def.name],
        ['description', def.description],
      ]);
      process.stdout.write(`\n${colors.bold('params')}\n`);
      printTable(
        ['NAME', 'TYPE', 'REQUIRED', 'DEFAULT', 'ALLOWED'],
        Object.entries(def.params).map(([p, spec]) => [
          p,
          spec.type,
          spec.required ? 'yes' : '',
          spec.default === undefined ? '' : JSON.stringify(spec.default),
          spec.enum ? spec.enum.join(' | ') : (spec.pattern ?? ''),
        ]),
      );
      process.stdout.write(`\n${colors.bold('steps')}\n`);
      printTable(
        ['ID', 'TYPE', 'NEEDS', 'WHEN', 'NAME'],
        def.steps.map((s) => [s.id, s.type, (s.needs ?? []).join(', '), s.when ?? '', s.name ?? '']),
      );
    });

  runbooks
    .command('validate')
    .description('validate a runbook YAML file offline, with the same errors (path and line) as the API')
    .argument('<file>', 'runbook YAML file')
    .action((file: string) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new Error(`cannot read ${file}: ${(err as Error).message}`);
      }
      const result = parseRunbookYaml(text);
      if (ctx.output() === 'json') {
        printJson(result.ok ? { ok: true, name: result.definition.name, steps: result.definition.steps.length } : { ok: false, issues: result.issues });
      } else if (result.ok) {
        process.stdout.write(`${colors.green('valid')}: ${safeText(result.definition.name)} (${result.definition.steps.length} steps)\n`);
      } else {
        for (const issue of result.issues) process.stdout.write(`${formatIssue(issue, file)}\n`);
        process.stdout.write(`${colors.red(`${result.issues.length} problem${result.issues.length === 1 ? '' : 's'}`)}\n`);
      }
      if (!result.ok) throw new ExitWith(EXIT.failed);
    });
};
