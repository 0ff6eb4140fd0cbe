import type { CompensateAction, ForeachAction, HttpRequestSpec, ParamSpec, RunbookDefinition, Step } from '../../domain/runbook';
import type { Role } from '../../domain/roles';

/**
 * The step templates the planner may compose from, as data: the shapes the catalogue's own
 * runbooks use, with every free choice that could run something new closed down to what the
 * catalogue (and COMMAND_ALLOWLIST) already admits.
 *
 * - `command`: argv[0] is one of the executables catalogue runbooks run (the runbooks/scripts/*
 *   wrappers) or an explicit COMMAND_ALLOWLIST entry; arguments are data (argv, no shell).
 * - `http`: the URL starts with one of the bases catalogue http steps use (`${{ env.DEPLOY_API_URL }}`),
 *   so a composed runbook can only talk to endpoints an operator configured.
 * - `query` (PromQL with `assert`), `wait`: as in the DSL; they run nothing new.
 * - `approval`: decided by the roles catalogue gates use (and admin), never approved by a timeout.
 * - `runbook`: a child run of an existing catalogue runbook (which keeps its own gates).
 *
 * `foreach` and `compensate` are not templates: a fan-out or an undo is a catalogue runbook's job
 * (restart-fleet, deploy-service), reached as a child run.
 */
export const TEMPLATE_STEP_TYPES = ['command', 'http', 'query', 'approval', 'wait', 'runbook'] as const satisfies readonly Step['type'][];
export type TemplateStepType = (typeof TEMPLATE_STEP_TYPES)[number];

export interface ChildRunbookTemplate {
  name: string;
  description: string;
  params: Record<string, ParamSpec>;
}

export interface StepTemplates {
  stepTypes: readonly TemplateStepType[];
  /** Executables a command step may start (argv[0], exactly as written). */
  commands: readonly string[];
  /** Prefixes an http step's URL must start with. */
  httpBases: readonly string[];
  /** Catalogue runbooks a `runbook` step may start. */
  runbooks: readonly ChildRunbookTemplate[];
  /** Roles a composed approval gate may name: those catalogue gates name, and admin (never viewer or operator by default). */
  gateRoles: readonly Role[];
}

export interface TemplateCatalogue {
  names(): readonly string[];
  get(name: string): RunbookDefinition | undefined;
}

/** Every command and http action of a definition: steps, foreach actions and compensations. */
function actionsOf(definition: RunbookDefinition): (CompensateAction | ForeachAction)[] {
  const out: (CompensateAction | ForeachAction)[] = [];
  for (const step of definition.steps) {
    if (step.type === 'command' || step.type === 'http') out.push(step);
    if (step.type === 'foreach') out.push(step.step);
    if (step.compensate) out.push(step.compensate);
  }
  return out;
}

/** `${{ env.X }}` at the start of a URL (what catalogue http steps target), else the URL's origin. */
const TEMPLATE_BASE = /^\$\{\{\s*env\.[A-Za-z_][A-Za-z0-9_]*\s*\}\}/;

export function httpBaseOf(request: Pick<HttpRequestSpec, 'url'>): string | undefined {
  const templated = TEMPLATE_BASE.exec(request.url);
  if (templated) return templated[0];
  try {
    const url = new URL(request.url);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** Allowlist entries with a "/" are paths (matched exactly); bare names are whole executables. */
export function stepTemplatesFrom(catalogue: TemplateCatalogue, commandAllowlist: readonly string[] = []): StepTemplates {
  const commands = new Set<string>();
  const bases = new Set<string>();
  const runbooks: ChildRunbookTemplate[] = [];
  const gateRoles = new Set<Role>(['admin']);
  for (const name of catalogue.names()) {
    const definition = catalogue.get(name);
    if (!definition) continue;
    runbooks.push({ name, description: definition.description, params: definition.params });
    for (const step of definition.steps) if (step.type === 'approval') for (const role of step.approvers.roles) gateRoles.add(role);
    for (const action of actionsOf(definition)) {
      if (action.type === 'command' && action.command[0]) commands.add(action.command[0]);
      if (action.type === 'http') {
        const base = httpBaseOf(action.request);
        if (base) bases.add(base);
      }
    }
  }
  for (const entry of commandAllowlist) if (entry.trim()) commands.add(entry.trim());
  // A catalogue without gates still gets a real approver role.
  if (gateRoles.size === 1) gateRoles.add('approver');
  return { stepTypes: TEMPLATE_STEP_TYPES, commands: [...commands].sort(), httpBases: [...bases].sort(), runbooks, gateRoles: [...gateRoles].sort() };
}
