import { findCycles } from '../domain/dagCycles';
import type { ForeachAction, RunbookDefinition, Step } from '../domain/runbook';
import { checkParamValue } from '../domain/runParams';
import { hint } from '../domain/suggest';
import type { PathSegment, RawIssue } from '../domain/validationIssue';

/**
 * Checks that need the whole catalogue: a `runbook` step's params against the child's declared
 * params, and recursion between runbooks (a -> b -> a would start child runs forever).
 */

export interface ChildCall {
  path: PathSegment[];
  runbook: string;
  params: Record<string, unknown>;
}

/** Every child-run call in a definition, including those inside foreach actions. */
export function childCalls(definition: RunbookDefinition): ChildCall[] {
  const calls: ChildCall[] = [];
  definition.steps.forEach((step: Step, i) => {
    if (step.type === 'runbook') calls.push({ path: ['steps', i], runbook: step.runbook, params: step.params });
    if (step.type === 'foreach') {
      const action: ForeachAction = step.step;
      if (action.type === 'runbook') calls.push({ path: ['steps', i, 'step'], runbook: action.runbook, params: action.params });
    }
  });
  return calls;
}

/** Literal values can be checked now; anything with a template is only known at run time. */
function isLiteral(value: unknown): boolean {
  if (typeof value === 'string') return !value.includes('${{');
  if (Array.isArray(value)) return value.every(isLiteral);
  if (value && typeof value === 'object') return Object.values(value).every(isLiteral);
  return true;
}

export function checkChildParams(definition: RunbookDefinition, catalogue: ReadonlyMap<string, RunbookDefinition>): RawIssue[] {
  const issues: RawIssue[] = [];
  for (const call of childCalls(definition)) {
    const child = catalogue.get(call.runbook);
    if (!child) continue; // unknown targets are reported by the validator
    const declared = Object.keys(child.params);
    for (const [name, value] of Object.entries(call.params)) {
      const spec = child.params[name];
      if (!spec) {
        issues.push({
          path: [...call.path, 'params', name],
          message: `runbook "${call.runbook}" has no parameter "${name}"${hint(name, declared, 'declared')}`,
        });
      } else if (isLiteral(value)) {
        const problem = checkParamValue(spec, value);
        if (problem) issues.push({ path: [...call.path, 'params', name], message: `${problem} (parameter of runbook "${call.runbook}")` });
      }
    }
    for (const [name, spec] of Object.entries(child.params)) {
      if (spec.required && !(name in call.params)) {
        issues.push({ path: [...call.path, 'params'], message: `missing required parameter "${name}" of runbook "${call.runbook}"` });
      }
    }
  }
  return issues;
}

export interface RecursionIssue {
  runbook: string;
  issue: RawIssue;
}

/** One issue per recursive group of runbooks, attached to the call that starts the loop. */
export function checkRecursion(catalogue: ReadonlyMap<string, RunbookDefinition>): RecursionIssue[] {
  const names = [...catalogue.keys()].sort();
  const calls = new Map(names.map((name) => [name, childCalls(catalogue.get(name)!)]));
  const edges = new Map(names.map((name) => [name, calls.get(name)!.map((call) => call.runbook)]));
  return findCycles(names, edges).map((cycle) => {
    const from = cycle[0]!;
    const call = calls.get(from)!.find((c) => c.runbook === cycle[1])!;
    return {
      runbook: from,
      issue: {
        path: [...call.path, 'runbook'],
        message: `runbook recursion: ${cycle.join(' -> ')}`,
        cycle,
      },
    };
  });
}
