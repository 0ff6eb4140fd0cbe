import type { Entity, EntityType, FocusEntity, Intent, IntentType } from '../model/types';

/**
 * Reference resolution against the session's entities in focus: "restart it", "that deploy",
 * "same for payments". Missing slots an intent needs are filled from the most recent mention and
 * marked `fromFocus`, so answers can say what they assumed. Pure: used by the workflow and the API.
 */
export interface LastTurn {
  intent: IntentType;
  entities: Entity[];
}

const NEEDS: Partial<Record<IntentType, EntityType[]>> = {
  MetricQuery: ['service', 'environment', 'time_range'],
  LogQuery: ['service', 'environment', 'time_range'],
  TraceQuery: ['service', 'environment', 'time_range'],
  ServiceHealth: ['service', 'environment'],
  AlertInvestigation: ['service', 'environment'],
  WorkflowTrigger: ['service', 'environment'],
  WorkflowStatus: ['run_id'],
  WorkflowCancel: ['run_id'],
  RunPause: ['run_id'],
  RunResume: ['run_id'],
  ApprovalDecision: ['run_id'],
  IncidentUpdate: ['incident_id'],
  IncidentResolve: ['incident_id'],
  IncidentRemediate: ['incident_id'],
  IncidentCreate: ['service'],
  TestExecute: ['service'],
  TestCoverage: ['service'],
  TestGenerate: ['service'],
};

const FOLLOW_UP = /^\s*(?:and\s+)?(?:(?:the\s+)?same\s+(?:thing\s+)?for|what about|how about|and for|now for|ditto for|same but for)\b/i;

const FOCUS_TYPES: ReadonlySet<EntityType> = new Set(['service', 'environment', 'run_id', 'incident_id', 'runbook', 'version', 'metric', 'time_range', 'severity']);
const FOCUS_LIMIT = 20;

export function isFollowUp(text: string): boolean {
  return FOLLOW_UP.test(text);
}

export function resolveReferences(text: string, intent: Intent, entities: Entity[], focus: readonly FocusEntity[], last?: LastTurn): { intent: Intent; entities: Entity[] } {
  let resolvedIntent = intent;
  let out = [...entities];
  if (last && isFollowUp(text) && last.intent !== 'Unknown') {
    // "same for payments": the previous question with the new entities swapped in.
    resolvedIntent = { type: last.intent, confidence: Math.max(intent.confidence, 0.85) };
    const replaced = new Set(out.map((e) => e.type));
    out = [...out, ...last.entities.filter((e) => !replaced.has(e.type)).map((e) => ({ type: e.type, value: e.value, fromFocus: true }))];
  }
  const recent = [...focus].sort((a, b) => b.turn - a.turn);
  for (const type of NEEDS[resolvedIntent.type] ?? []) {
    if (out.some((e) => e.type === type)) continue;
    const hit = recent.find((f) => f.type === type);
    if (hit) out.push({ type, value: hit.value, fromFocus: true });
  }
  return { intent: resolvedIntent, entities: out };
}

/** The focus after a turn: newly mentioned entities move to the front; capped. */
export function mergeFocus(focus: readonly FocusEntity[], entities: readonly Entity[], turn: number): FocusEntity[] {
  const next = new Map(focus.map((f) => [`${f.type}\u0000${f.value}`, f]));
  for (const e of entities) {
    if (!FOCUS_TYPES.has(e.type) || e.fromFocus) continue;
    // One value per single-valued slot in focus would lose "auth vs payments" comparisons; keep
    // several, ordered by recency.
    next.set(`${e.type}\u0000${e.value}`, { type: e.type, value: e.value, turn });
  }
  return [...next.values()].sort((a, b) => b.turn - a.turn).slice(0, FOCUS_LIMIT);
}

export function entityValue(entities: readonly Entity[], type: EntityType): string | undefined {
  return entities.find((e) => e.type === type)?.value;
}
