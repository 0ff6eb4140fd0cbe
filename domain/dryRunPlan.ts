import { z } from 'zod';
import { evaluateCondition } from './cel';
import type { RunbookDefinition, Step } from './runbook';
import { renderString, type TemplateContext } from './template';

/**
 * The dry-run plan of a runbook for a set of resolved params: what starting it would do, without
 * starting anything. Steps come in batches (a topological order of `needs`: every step of batch n
 * may run once batches < n are done), with their templates rendered as far as the params allow.
 * Templates that need what only the run knows (step outputs, the worker's `env`, `backends`) are
 * left as written and listed in `unresolved`. Pure code: the API (POST /runs/plan), the console
 * and the CLI show the same plan.
 */

/** `runs`: the `when:` is true for these params; `skipped`: false; `at-run-time`: it reads what only the run knows. */
export const PlannedCondition = z.object({
  expression: z.string(),
  outcome: z.enum(['runs', 'skipped', 'at-run-time']),
  reason: z.string().optional(),
});

export const PlannedStep = z.object({
  id: z.string(),
  name: z.string().optional(),
  type: z.string(),
  batch: z.number().int(),
  needs: z.array(z.string()),
  when: PlannedCondition.optional(),
  /** The step's action with every template it could render rendered (command argv, request, query, child params …). */
  action: z.record(z.string(), z.unknown()),
  /** Paths inside `action` whose templates wait for the run (e.g. `request.url`). */
  unresolved: z.array(z.string()),
  /** Ids of the approval gates this step waits for, directly or through its needs. */
  gatedBy: z.array(z.string()),
  compensate: z.record(z.string(), z.unknown()).optional(),
});
export type PlannedStep = z.infer<typeof PlannedStep>;

export const PlannedGate = z.object({
  gateId: z.string(),
  /** `stop`: the run will wait here; `skipped`: its `when:` is false; `maybe`: decided at run time. */
  stops: z.enum(['stop', 'skipped', 'maybe']),
  message: z.string().optional(),
  roles: z.array(z.string()),
  count: z.number().int(),
  fourEyes: z.boolean(),
  /** Under four eyes the requester cannot approve their own run. */
  requesterMayApprove: z.boolean(),
  timeout: z.string().optional(),
  /** The steps that cannot start before this gate is approved. */
  guards: z.array(z.string()),
});
export type PlannedGate = z.infer<typeof PlannedGate>;

export const RunPlan = z.object({
  runbook: z.string(),
  description: z.string(),
  params: z.record(z.string(), z.unknown()),
  concurrency: z.number().int(),
  batches: z.array(z.array(z.string())),
  steps: z.array(PlannedStep),
  gates: z.array(PlannedGate),
});
export type RunPlan = z.infer<typeof RunPlan>;

/** Kahn's algorithm by levels; validated definitions have no cycles or unknown needs. */
export function stepBatches(steps: readonly Pick<Step, 'id' | 'needs'>[]): string[][] {
  const remaining = new Map(steps.map((s) => [s.id, new Set(s.needs)]));
  const batches: string[][] = [];
  while (remaining.size > 0) {
    const ready = [...remaining].filter(([, needs]) => needs.size === 0).map(([id]) => id);
    if (ready.length === 0) throw new Error(`dependency cycle among ${[...remaining.keys()].join(', ')}`);
    batches.push(ready);
    for (const id of ready) remaining.delete(id);
    for (const needs of remaining.values()) for (const id of ready) needs.delete(id);
  }
  return batches;
}

/** Renders what it can; a template that fails (unknown step output, env, backends) stays as written. */
function renderPartially(value: unknown, context: TemplateContext, path: string, unresolved: string[]): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${{')) return value;
    try {
      return renderString(value, context);
    } catch {
      unresolved.push(path);
      return value;
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => renderPartially(v, context, `${path}[${i}]`, unresolved));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderPartially(v, context, path ? `${path}.${k}` : k, unresolved);
    return out;
  }
  return value;
}

const CONTROL_KEYS = new Set(['id', 'name', 'needs', 'when', 'timeout', 'retry', 'continueOnError', 'compensate', 'type']);

function conditionOf(expression: string, context: TemplateContext): z.infer<typeof PlannedCondition> {
  try {
    return { expression, outcome: evaluateCondition(expression, { ...context }) ? 'runs' : 'skipped' };
  } catch (err) {
    return { expression, outcome: 'at-run-time', reason: (err as Error).message };
  }
}

export function planRun(definition: RunbookDefinition, params: Record<string, unknown>): RunPlan {
  // Only params are known before the run: steps, env and backends stay empty so templates using them are reported unresolved.
  const context: TemplateContext = { params, steps: {}, env: {}, backends: {} };
  const batches = stepBatches(definition.steps);
  const batchOf = new Map(batches.flatMap((ids, n) => ids.map((id) => [id, n] as const)));
  const byId = new Map(definition.steps.map((s) => [s.id, s]));
  const gateIds = definition.steps.filter((s) => s.type === 'approval').map((s) => s.id);

  // Transitive needs, in batch order so every dependency is computed before its dependents.
  const ancestors = new Map<string, Set<string>>();
  for (const id of batches.flat()) {
    const all = new Set<string>();
    for (const need of byId.get(id)?.needs ?? []) {
      all.add(need);
      for (const a of ancestors.get(need) ?? []) all.add(a);
    }
    ancestors.set(id, all);
  }

  const steps: PlannedStep[] = batches.flat().map((id) => {
    const step = byId.get(id)!;
    const unresolved: string[] = [];
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(step)) if (!CONTROL_KEYS.has(k)) raw[k] = v;
    const action = renderPartially(raw, context, '', unresolved) as Record<string, unknown>;
    const compensateUnresolved: string[] = [];
    const compensate = step.compensate ? (renderPartially(step.compensate, context, 'compensate', compensateUnresolved) as Record<string, unknown>) : undefined;
    return {
      id,
      ...(step.name !== undefined ? { name: step.name } : {}),
      type: step.type,
      batch: batchOf.get(id) ?? 0,
      needs: step.needs,
      ...(step.when !== undefined ? { when: conditionOf(step.when, context) } : {}),
      action,
      unresolved: [...unresolved, ...compensateUnresolved],
      gatedBy: gateIds.filter((g) => ancestors.get(id)?.has(g)),
      ...(compensate ? { compensate } : {}),
    };
  });

  const planned = new Map(steps.map((s) => [s.id, s]));
  const gates: PlannedGate[] = definition.steps.flatMap((step) => {
    if (step.type !== 'approval') return [];
    const outcome = planned.get(step.id)?.when?.outcome;
    const message = planned.get(step.id)?.action.message;
    return [
      {
        gateId: step.id,
        stops: outcome === 'skipped' ? 'skipped' : outcome === 'at-run-time' ? 'maybe' : 'stop',
        ...(typeof message === 'string' ? { message } : {}),
        roles: step.approvers.roles,
        count: step.approvers.count,
        fourEyes: step.fourEyes,
        requesterMayApprove: !step.fourEyes,
        ...(step.timeout !== undefined ? { timeout: step.timeout } : {}),
        guards: steps.filter((s) => s.gatedBy.includes(step.id)).map((s) => s.id),
      },
    ];
  });

  return {
    runbook: definition.name,
    description: definition.description,
    params,
    concurrency: definition.concurrency,
    batches,
    steps,
    gates,
  };
}

/** The steps that cannot start before `gateId` is approved: every step needing it, directly or through other steps. */
export function stepsGuardedBy(steps: readonly Pick<Step, 'id' | 'needs'>[], gateId: string): string[] {
  const guarded = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const step of steps) {
      if (guarded.has(step.id)) continue;
      if (step.needs.some((need) => need === gateId || guarded.has(need))) {
        guarded.add(step.id);
        grew = true;
      }
    }
  }
  return steps.filter((s) => guarded.has(s.id)).map((s) => s.id);
}
