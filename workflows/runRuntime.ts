import { CancellationScope, patched, proxyLocalActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities, RunContext } from '../activities/createActivities';
import { eventDataBytes, MAX_EVENT_DATA_BYTES, shrinkEventData } from '../domain/eventPayload';
import type { NewEvent } from '../domain/events';
import { PERMANENT_FAILURE, PERMANENT_FAILURE_TYPES, permanentFailureOf } from '../domain/failureTypes';
import type { ApprovalState, RunInput, RunState, RunStatus, StepState } from '../domain/runState';
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

interface Deferred {
  events: WorkflowEvent[];
  stored: () => void;
  /** Due now: stored by a step activity that carries it, else by `flushUncarried`, not left for the next emit. */
  prompt: boolean;
  /** May be stored by a step activity (`carry`): prompt and small enough to store as it is. */
  carry: boolean;
  /** Step activities carrying it now. */
  carriers: number;
}

export class RunRuntime {
  readonly state: RunState;
  readonly template: TemplateContext;
  /** Set once the run reached a terminal state, so pending handlers can return. */
  finished = false;
  /** Why the last `approval` signal was refused (markdown), shown in the UI's details until one is accepted. */
  signalNotice: string | undefined;
  private readonly stepIndex = new Map<string, StepState>();
  /** Events waiting for the next emit (`defer`), or for the step activity that carries them (`carry`). */
  private deferred: Deferred[] = [];

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

  /** Resume with parameters: the steps that start from now on, the state query and the gates' plans see the new values. */
  setParams(params: Record<string, unknown>): void {
    this.input.params = params;
    this.state.params = params;
    this.template.params = params;
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

  /**
   * Stores `events` with the run's next `emit` instead of on their own: what happens together goes
   * in one local activity (one insert), e.g. an approved gate's approval.decided and its step's
   * step.succeeded. `stored` runs once they are in the log. Every run ends with an emit (its
   * terminal event), so a deferred event is never left behind.
   *
   * `carry`: the next step activity may store them instead, ahead of its own step.started
   * (`carry()`), so no local activity stands between a decided gate and the next step. What no
   * activity carried is stored by `flushUncarried`, which the DAG calls once it has started what it
   * can. An event too big to store as it is never rides along: the emit's shrink path stores it.
   */
  defer(events: WorkflowEvent[], stored: () => void, options: { carry?: boolean } = {}): void {
    const prompt = options.carry === true;
    const carry = prompt && events.every((e) => eventDataBytes(e.data) <= MAX_EVENT_DATA_BYTES);
    this.deferred.push({ events, stored, prompt, carry, carriers: 0 });
  }

  /**
   * The carryable deferred events for a step activity about to be scheduled, as the batch it stores
   * before its step.started (same keys as an emit's, so storing them twice stores them once). All
   * of them up to the first that may not ride along, including ones another activity already
   * carries: whichever activity appends first, nothing it writes can precede them. `stored` once the activity succeeded (it wrote them);
   * `released` when it failed or was cancelled, maybe before it wrote them: then the next emit or
   * flush stores them.
   */
  carry(): { batch: NewEvent[]; stored: () => void; released: () => void } | undefined {
    // In order, up to the first that may not ride along: what follows it must not be stored before it.
    const end = this.deferred.findIndex((d) => !d.carry);
    const carried = end < 0 ? [...this.deferred] : this.deferred.slice(0, end);
    if (carried.length === 0) return undefined;
    for (const d of carried) d.carriers++;
    return {
      batch: this.batchOf(carried.flatMap((d) => d.events)),
      stored: () => {
        for (const d of carried) {
          const at = this.deferred.indexOf(d);
          if (at < 0) continue; // an emit stored it meanwhile and ran its callback
          this.deferred.splice(at, 1);
          d.stored();
        }
      },
      released: () => {
        for (const d of carried) d.carriers--;
      },
    };
  }

  /** Whether deferred events wait that are due now (`defer`'s `carry`) and that no running step activity carries. */
  hasUncarried(): boolean {
    return this.deferred.some((d) => d.prompt && d.carriers === 0);
  }

  /**
   * Whether deferred events wait that are due now but cannot ride along (too big to store as they
   * are): stored before any step starts, so no step activity, local ones included, can precede them.
   */
  hasUncarryable(): boolean {
    return this.deferred.some((d) => d.prompt && !d.carry);
  }

  /** Stores what no step activity carried (see `defer`); not cancellable, like any record of a decision. */
  async flushUncarried(): Promise<void> {
    if (!this.hasUncarried()) return;
    await CancellationScope.nonCancellable(() => this.emit([]));
  }

  async emit(ownEvents: WorkflowEvent[]): Promise<void> {
    const deferred = this.deferred.splice(0);
    const events = [...deferred.flatMap((d) => d.events), ...ownEvents];
    if (events.length === 0) return;
    try {
      await this.append(events);
    } catch (err) {
      // Not stored (e.g. this emit's scope was cancelled): they go with the next emit instead.
      this.deferred.unshift(...deferred);
      throw err;
    }
    for (const d of deferred) d.stored();
  }

  private batchOf(events: WorkflowEvent[]): NewEvent[] {
    return events.map((e) => ({ type: e.type, data: { runId: this.input.runId, ...e.data }, dedupeKey: `${this.input.runId}/${e.key}` }));
  }

  private async append(events: WorkflowEvent[]): Promise<void> {
    const batch = this.batchOf(events);
    try {
      await local.emitRunEvents(this.input.runId, batch);
    } catch (err) {
      // An event over the store's cap (a huge output, comment or error) used to be retried forever
      // and wedge the run. Store it with its oversized fields cut instead: same key, so still once.
      // Only reachable since the activity fails such an append permanently; the patch keeps
      // histories that got here before replaying.
      if (permanentFailureOf(err)?.type !== PERMANENT_FAILURE.eventTooLarge || !patched('run-event-too-large-shrinks')) throw err;
      await local.emitRunEvents(
        this.input.runId,
        batch.map((e) => ({ ...e, data: shrinkEventData(e.data) })),
      );
    }
  }

  async loadContext(): Promise<void> {
    this.applyContext(await local.getRunContext());
  }

  /**
   * `run.started` and the run's context in one local activity. Only for the run's first event: its
   * size is checked before (runbookRun.ts) and nothing can have been deferred yet (only a decided
   * gate defers).
   */
  async startWithContext(started: WorkflowEvent): Promise<void> {
    this.applyContext(await local.startRunWithContext(this.input.runId, this.batchOf([started])));
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
    const pause = this.state.pause;
    if (pause) {
      lines.push(
        `Paused by ${codeSpan(pause.by)}${pause.claimed ? ' (claimed)' : ''} at ${pause.at}${pause.reason ? `: ${codeSpan(pause.reason)}` : ''}. No new step starts.` +
          (pause.restarting.length ? ` Restarting on resume: ${pause.restarting.join(', ')}.` : ''),
        'To resume here, send signal `resume` with:',
        codeBlock(['{"by":"<your name>","reason":"<why>"}']),
      );
    }
    for (const gate of pending) {
      lines.push(
        `Waiting for approval \`${gate.gateId}\` (${gate.requiredCount} × ${gate.requiredRoles.join('/')}` + `${gate.fourEyes ? ', four-eyes' : ''}) until ${gate.expiresAt}.`,
      );
    }
    if (pending.length) {
      // A fenced block: the UI's markdown renderer leaves its quotes straight, so it can be copied as JSON.
      lines.push(
        `To decide here, send signal \`approval\` with${pending.length > 1 ? ' (one line per gate)' : ''}:`,
        codeBlock(pending.map((gate) => approvalSignalPayload(gate))),
      );
    }
    if (running.length) lines.push(`Running: ${running.join(', ')}`);
    if (this.signalNotice) lines.push(this.signalNotice);
    const waitingFor = [...(pause ? [`resume (paused by ${pause.by})`] : []), ...(pending.length ? [`approval: ${pending.map((g) => g.gateId).join(', ')}`] : [])];
    this.state.waitingFor = waitingFor.length ? waitingFor.join('; ') : undefined;
    if (this.state.waitingFor === undefined) delete this.state.waitingFor;
    setCurrentDetails(lines.join('\n\n'));
  }
}

/** The `approval` signal an approver sends for `gate`, as one line of JSON; with the digest, the vote is bound to the plan shown. */
export function approvalSignalPayload(gate: Pick<ApprovalState, 'gateId' | 'digest'>): string {
  return JSON.stringify({ gateId: gate.gateId, decision: 'approve', approver: '<your name>', ...(gate.digest ? { digest: gate.digest } : {}) });
}

/** A fenced markdown code block: nothing inside is rendered as markup, quotes stay straight. */
function codeBlock(lines: string[]): string {
  return ['```json', ...lines.map((l) => l.replace(/```/g, "'''")), '```'].join('\n');
}

/** A markdown code span for claimed text: it cannot close the span or add markup. */
function codeSpan(text: string): string {
  // eslint-disable-next-line no-control-regex
  return `\`${text.replace(/[`\u0000-\u001f\u007f\u2028\u2029]/g, "'").slice(0, 300)}\``;
}
