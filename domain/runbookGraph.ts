import { findCycles } from './dagCycles';
import { hint } from './suggest';
import type { RawIssue } from './validationIssue';

/**
 * The `needs` graph of a runbook: duplicate ids, unknown or self dependencies, cycles, and each
 * step's transitive dependencies (the steps guaranteed to have finished before it starts, whose
 * output it may therefore read). Works on the raw document so it can report alongside schema errors.
 */

export interface LooseStep {
  index: number;
  id?: string;
  type?: string;
  needs: { id: string; index: number }[];
  raw: Record<string, unknown>;
}

export function readSteps(steps: unknown): LooseStep[] {
  if (!Array.isArray(steps)) return [];
  const out: LooseStep[] = [];
  steps.forEach((raw: unknown, index) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return;
    const record = raw as Record<string, unknown>;
    const needs = Array.isArray(record.needs) ? record.needs.flatMap((id: unknown, i) => (typeof id === 'string' ? [{ id, index: i }] : [])) : [];
    out.push({
      index,
      id: typeof record.id === 'string' ? record.id : undefined,
      type: typeof record.type === 'string' ? record.type : undefined,
      needs,
      raw: record,
    });
  });
  return out;
}

export interface GraphAnalysis {
  issues: RawIssue[];
  /** Step id -> ids of every step it transitively needs. */
  dependencies: Map<string, Set<string>>;
  ids: string[];
}

export function analyzeGraph(steps: readonly LooseStep[]): GraphAnalysis {
  const issues: RawIssue[] = [];
  const firstIndex = new Map<string, number>();
  for (const step of steps) {
    if (step.id === undefined) continue;
    const first = firstIndex.get(step.id);
    if (first === undefined) firstIndex.set(step.id, step.index);
    else issues.push({ path: ['steps', step.index, 'id'], message: `duplicate step id "${step.id}" (first used by steps[${first}])` });
  }
  const ids = [...firstIndex.keys()];

  const edges = new Map<string, string[]>();
  for (const step of steps) {
    const seen = new Set<string>();
    const valid: string[] = [];
    for (const need of step.needs) {
      const path = ['steps', step.index, 'needs', need.index];
      if (need.id === step.id) {
        issues.push({ path, message: `step "${step.id}" needs itself` });
      } else if (!firstIndex.has(need.id)) {
        issues.push({ path, message: `unknown step "${need.id}" in needs${hint(need.id, ids, 'known steps')}` });
      } else if (seen.has(need.id)) {
        issues.push({ path, message: `"${need.id}" is listed twice in needs` });
      } else {
        valid.push(need.id);
      }
      seen.add(need.id);
    }
    // Only the first step with a given id is a graph node; its duplicates were reported above.
    if (step.id !== undefined && firstIndex.get(step.id) === step.index) edges.set(step.id, valid);
  }

  for (const cycle of findCycles(ids, edges)) {
    if (cycle.length < 3) continue; // a step needing itself is reported above
    const start = steps.find((s) => s.index === firstIndex.get(cycle[0]!))!;
    const needIndex = start.needs.find((n) => n.id === cycle[1])?.index ?? 0;
    issues.push({
      path: ['steps', start.index, 'needs', needIndex],
      message: `dependency cycle: ${cycle.join(' -> ')}`,
      cycle,
    });
  }

  const dependencies = new Map<string, Set<string>>();
  for (const id of ids) {
    const reached = new Set<string>();
    const queue = [...(edges.get(id) ?? [])];
    while (queue.length > 0) {
      const next = queue.pop()!;
      if (reached.has(next)) continue;
      reached.add(next);
      queue.push(...(edges.get(next) ?? []));
    }
    reached.delete(id); // inside a cycle a step reaches itself; that is reported, not a dependency
    dependencies.set(id, reached);
  }
  return { issues, dependencies, ids };
}
