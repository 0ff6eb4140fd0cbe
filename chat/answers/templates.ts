import type { Entity, IntentType, Proposal } from '../model/types';

/**
 * The rule-based path's answers: short, specific, and honest about what was assumed. Pure, so the
 * workflow can phrase confirmations and refusals without an activity round trip.
 */
const INTENT_NAMES: Record<IntentType, string> = {
  MetricQuery: 'a metric question',
  LogQuery: 'a log search',
  TraceQuery: 'a trace search',
  IncidentCreate: 'opening an incident',
  IncidentUpdate: 'an incident update',
  IncidentResolve: 'resolving an incident',
  WorkflowTrigger: 'starting a runbook',
  WorkflowStatus: 'the status of a run',
  WorkflowCancel: 'cancelling a run',
  TestGenerate: 'generating tests',
  TestExecute: 'running tests',
  TestCoverage: 'test coverage',
  ServiceHealth: 'service health',
  AlertInvestigation: 'an alert investigation',
  GeneralQuery: 'a general question',
  Unknown: 'something I could not place',
  ApprovalDecision: 'an approval decision',
  IncidentRemediate: 'starting an incident remediation',
  RunPause: 'pausing a run',
  RunResume: 'resuming a paused run',
  RunbookCompose: 'composing a draft runbook',
};

export function describeIntent(intent: IntentType): string {
  return INTENT_NAMES[intent];
}

export function assumptions(entities: readonly Entity[]): string {
  const assumed = entities.filter((e) => e.fromFocus && e.type !== 'time_range');
  if (assumed.length === 0) return '';
  return ` (assuming ${assumed.map((e) => `${e.type.replace('_', ' ')} ${e.value}`).join(', ')} from earlier)`;
}

export function clarify(intent: IntentType, confidence: number): string {
  if (intent === 'Unknown') {
    return 'I am not sure what you need. I can query metrics ("p95 latency for checkout in prod over the last hour"), search logs ("errors in the auth logs since 10:00"), find traces, check service health, start runbooks ("deploy auth v2.3.1 to production"), follow and cancel runs, approve gates, and open incidents.';
  }
  return `Did you mean ${describeIntent(intent)}? I am only ${Math.round(confidence * 100)}% sure; could you rephrase with the service, environment or time range?`;
}

export function proposalQuestion(p: Proposal): string {
  return `${p.summary}\nReply "yes" to go ahead or "no" to drop it.`;
}

export function paramsText(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

export const NOTHING_TO_CONFIRM = 'There is nothing waiting for a confirmation right now.';
export const DEGRADED_NOTE = '(The language model is unavailable right now, so this answer comes from the rule-based engine.)';

export function roleRefusal(action: string, role: string): string {
  return `${action} needs the "${role}" role, which you do not have. I can still answer questions and show metrics, logs and run status.`;
}

export function noRunInFocus(what: string): string {
  return `Which run do you mean? I have no run in this conversation to ${what}; give me its id (run-…).`;
}
