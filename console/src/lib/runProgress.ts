import type { RunState, StepStatus, StreamEvent } from './types';

/**
 * Live step statuses from a run's event stream (api/README.md "Event stream"), laid over the last
 * fetched RunState: the stream is what makes the graph move without a reload; the state query
 * fills in what events do not say (compensated, output, attempts).
 */
const EVENT_STATUS: Record<string, StepStatus> = {
  'step.started': 'running',
  'step.retrying': 'running',
  'step.succeeded': 'succeeded',
  'step.failed': 'failed',
  'step.skipped': 'skipped',
  'step.cancelled': 'cancelled',
  'approval.requested': 'waiting',
  'compensation.step.succeeded': 'compensated',
};

const FINAL: readonly StepStatus[] = ['succeeded', 'failed', 'skipped', 'cancelled', 'compensated'];

export interface StepView {
  id: string;
  type: string;
  status: StepStatus;
  attempts: number;
  error?: string;
  output?: unknown;
  startedAt?: string;
  finishedAt?: string;
  logs: string[];
}

function stepIdOf(e: StreamEvent): string | undefined {
  const v = e.data.stepId ?? (e.type.startsWith('approval.') ? e.data.gateId : undefined);
  return typeof v === 'string' ? v : undefined;
}

export function stepViews(state: RunState | undefined, events: readonly StreamEvent[]): StepView[] {
  const byId = new Map<string, StepView>();
  for (const s of state?.steps ?? []) {
    byId.set(s.id, {
      id: s.id,
      type: s.type,
      status: s.status,
      attempts: s.attempts,
      ...(s.error !== undefined ? { error: s.error } : {}),
      ...(s.output !== undefined ? { output: s.output } : {}),
      ...(s.startedAt ? { startedAt: s.startedAt } : {}),
      ...(s.finishedAt ? { finishedAt: s.finishedAt } : {}),
      logs: [],
    });
  }
  const live = new Map<string, StepStatus>();
  for (const e of events) {
    const id = stepIdOf(e);
    if (!id) continue;
    const view = byId.get(id) ?? { id, type: '', status: 'pending' as StepStatus, attempts: 0, logs: [] };
    byId.set(id, view);
    if (e.type === 'step.log' && Array.isArray(e.data.lines)) {
      for (const l of e.data.lines as unknown[]) {
        if (l !== null && typeof l === 'object') {
          const { stream, line } = l as { stream?: unknown; line?: unknown };
          view.logs.push(`${typeof stream === 'string' ? `[${stream}] ` : ''}${typeof line === 'string' ? line : JSON.stringify(line)}`);
        } else view.logs.push(String(l));
      }
    }
    if (e.type === 'step.failed' && typeof e.data.error === 'string') view.error = e.data.error;
    if (typeof e.data.attempt === 'number') view.attempts = Math.max(view.attempts, e.data.attempt);
    const status = EVENT_STATUS[e.type];
    if (status) live.set(id, status);
    if (e.type === 'approval.decided') live.set(id, e.data.decision === 'reject' ? 'failed' : 'running');
  }
  for (const [id, status] of live) {
    const view = byId.get(id)!;
    // The state query wins for what only it knows, and when it already has a final status the stream has not reached.
    if (view.status === 'compensated' || view.status === 'cancelled') continue;
    if (FINAL.includes(view.status) && !FINAL.includes(status)) continue;
    view.status = status;
  }
  return [...byId.values()];
}

/** The run's status as the stream says it, when it is further along than the fetched state. */
export function liveRunStatus(state: RunState | undefined, events: readonly StreamEvent[]): string | undefined {
  const last = [...events].reverse().find((e) => e.type.startsWith('run.') || e.type === 'approval.requested' || e.type.startsWith('compensation.'));
  const fromEvent: Record<string, string> = {
    'run.completed': 'succeeded',
    'run.failed': 'failed',
    'run.cancelled': 'cancelled',
    'compensation.started': 'compensating',
  };
  return (last && fromEvent[last.type]) ?? state?.status;
}

/** A one-line summary of an event for the timeline; untrusted values are rendered as text by React. */
export function describeEvent(e: StreamEvent): string {
  const d = e.data;
  const parts: string[] = [];
  for (const key of ['stepId', 'gateId', 'decision', 'approver', 'attempt', 'error', 'reason', 'status']) {
    const v = d[key];
    if (v !== undefined && v !== null && v !== '') parts.push(`${key}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  if (e.type === 'step.log' && Array.isArray(d.lines)) parts.push(`${d.lines.length} line(s)`);
  return parts.join(' ');
}
