import { patched, proxyLocalActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities, RunContext } from '../activities/createActivities';
import { shrinkEventData } from '../domain/eventPayload';
import { PERMANENT_FAILURE, PERMANENT_FAILURE_TYPES, permanentFailureOf } from '../domain/failureTypes';
import type { RunInput, RunState, RunStatus, StepState } from '../domain/runState';
import type { TemplateContext } from '../domain/template';
import { RunStatusKey } from '../temporal/searchAttributes';

/**
 * The mutable state of one run inside the workflow, plus the one way it reports progress: events
 * appended through a local activity (cheap, at-least-once, deduplicated by key).
 */
export interface WorkflowEvent {
  type: string;
  /** Unique within the run; becomes `<runId>/<key>` as the dedupe key. */
  key: string;
  data: Record<string, unknown>;
}

const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30s',
  // Unlimited attempts for outages; never for a value the store refused (activities classify those too).
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s', nonRetryableErrorTypes: [...PERMANENT_FAILURE_TYPES] },
});

export class RunRuntime {
  readonly state: RunState;
  readonly template: TemplateContext;
  /** Set once the run reached a terminal state, so pending handlers can return. */
  finished = false;
  /** Why the last `approval` signal was refused (markdown), shown in the UI's details until one is accepted. */
  signalNotice: string | undefined;
  private readonly stepIndex = new Map<string, StepState>();

  constructor(readonly input: RunInput) {
    const now = new Date().toISOString();
    this.state = {
      runId: input.runId,
      runbook: input.runbook.name,
      status: 'running',
      params: input.params,
      requestedBy: input.requestedBy.sub,
      ...(input.parentRunId ? { parentRunId: input.parentRunId } : {}),
      startedAt: now,
      compensated: false,
      steps: input.runbook.steps.map((s) => ({ id: s.id, type: s.type, status: 'pending', attempts: 0 })),
      approvals: [],
    };
    for (const step of this.state.steps) this.stepIndex.set(step.id, step);
    this.template = { params: input.params, steps: {}, env: {}, backends: {} };
  }

  applyContext(ctx: RunContext): void {
    this.template.env = ctx.env;
    this.template.backends = ctx.backends;
  }

  step(id: string): StepState {
    const step = this.stepIndex.get(id);
    if (!step) throw new Error(`unknown step ${id}`);
    return step;
  }

  async emit(events: WorkflowEvent[]): Promise<void> {
    if (events.length === 0) return;
    const batch = events.map((e) => ({ type: e.type, data: { runId: this.input.runId, ...e.data }, dedupeKey: `${this.input.runId}/${e.key}` }));
    try {
      await local.emitRunEvents(this.input.runId, batch);
    } catch (err) {
      // An event over the store's cap (a huge output, comment or error) used to be retried forever
      // and wedge the run. Store it with its oversized fields cut instead: same key, so still once.
      // Only reachable since the activity fails such an append permanently; the patch keeps
      // histories that got here before replaying.
      if (permanentFailureOf(err)?.type !== PERMANENT_FAILURE.eventTooLarge || !patched('run-event-too-large-shrinks')) throw err;
      await local.emitRunEvents(this.input.runId, batch.map((e) => ({ ...e, data: shrinkEventData(e.data) })));
    }
  }

  async loadContext(): Promise<void> {
    this.applyContext(await local.getRunContext());
  }

  setStatus(status: RunStatus): void {
    if (this.state.status === status) return;
    this.state.status = status;
    upsertSearchAttributes([{ key: RunStatusKey, value: status }]);
    this.describe();
  }

  /** Re-derives running vs waiting_approval from the gates and refreshes the UI's details. */
  refreshStatus(): void {
    if (this.state.status !== 'running' && this.state.status !== 'waiting_approval') return this.describe();
    const waiting = this.state.approvals.some((a) => a.status === 'pending');
    this.setStatus(waiting ? 'waiting_approval' : 'running');
    this.describe();
  }

  /** Keeps the Temporal UI's "current details" saying what the run waits for. */
  describe(): void {
    const pending = this.state.approvals.filter((a) => a.status === 'pending');
    const running = this.state.steps.filter((s) => s.status === 'running' || s.status === 'waiting').map((s) => s.id);
    const lines = [`**${this.state.runbook}** requested by ${this.state.requestedBy}: ${this.state.status}`];
    for (const gate of pending) {
      lines.push(
        `Waiting for approval \`${gate.gateId}\` (${gate.requiredCount} × ${gate.requiredRoles.join('/')}` +
          `${gate.fourEyes ? ', four-eyes' : ''}) until ${gate.expiresAt}.`,
        `To decide here, send signal \`approval\` with {"gateId":"${gate.gateId}","decision":"approve","approver":"<your name>"}.`,
      );
    }
    if (running.length) lines.push(`Running: ${running.join(', ')}`);
    if (this.signalNotice) lines.push(this.signalNotice);
    this.state.waitingFor = pending.length ? `approval: ${pending.map((g) => g.gateId).join(', ')}` : undefined;
    if (this.state.waitingFor === undefined) delete this.state.waitingFor;
    setCurrentDetails(lines.join('\n\n'));
  }
}
