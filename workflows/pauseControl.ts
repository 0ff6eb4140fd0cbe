import { ApplicationFailure, CancellationScope, condition } from '@temporalio/workflow';
import type { z } from 'zod';
import { eventDataBytes, MAX_EVENT_DATA_BYTES } from '../domain/eventPayload';
import { PAUSE_REJECTION, PauseSignal, ResumeSignal, type PauseChannel, type PauseRequest, type ResumeParams } from '../domain/pause';
import { resolveParams } from '../domain/runParams';
import type { RunRuntime, WorkflowEvent } from './runRuntime';

/**
 * Pause and resume of one run. The DAG scheduler asks `paused` before it starts a step and waits on
 * `untilResumed()` when nothing else can happen; an immediate pause asks the scheduler (through
 * `cancelRestartable`) to cancel the running steps marked `restartable`, which it sets back to
 * pending so they start afresh on resume. Everything here is workflow state, so a pause survives
 * worker restarts like the rest of the run.
 */
interface PauseCommand {
  by: string;
  via: PauseChannel;
  claimed?: boolean;
  reason?: string;
  immediate?: boolean;
  /** Resume with parameters: the run's params after the merge, already checked. */
  params?: Record<string, unknown>;
  /** The names the resume changed. */
  changed?: string[];
}

export class PauseControl {
  private pauses = 0;
  /** run.paused / run.resumed are appended one after another, in the order the requests arrived. */
  private emitQueue: Promise<void> = Promise.resolve();
  /** Set by the scheduler: cancels the running restartable steps and returns their ids. */
  cancelRestartable: () => string[] = () => [];
  /** Set by the run: re-plans the open gates after the params changed, returning their events. */
  replanGates: (by: string) => WorkflowEvent[] = () => [];

  constructor(private readonly rt: RunRuntime) {}

  get paused(): boolean {
    return this.rt.state.pause !== undefined;
  }

  /** Resolves once the run is resumed; rejects when the run is cancelled meanwhile. */
  untilResumed(): Promise<void> {
    return condition(() => !this.paused);
  }

  /** Throws the update's rejection when the run cannot be paused now. */
  validatePause(): void {
    const status = this.rt.state.status;
    if (this.paused) throw ApplicationFailure.nonRetryable(`run ${this.rt.state.runId} is already paused`, PAUSE_REJECTION.notRunning);
    if (this.rt.finished || (status !== 'running' && status !== 'waiting_approval')) {
      throw ApplicationFailure.nonRetryable(`run ${this.rt.state.runId} is ${status} and cannot be paused`, PAUSE_REJECTION.notRunning);
    }
  }

  validateResume(request?: Pick<PauseRequest, 'params'>): void {
    if (!this.paused || this.rt.finished) {
      throw ApplicationFailure.nonRetryable(`run ${this.rt.state.runId} is ${this.rt.state.status}, not paused`, PAUSE_REJECTION.notPaused);
    }
    if (request?.params) this.mergedParams(request.params);
  }

  /** The run's params with `changes` applied, checked against the runbook's specs like a start's; throws the refusal. */
  private mergedParams(changes: ResumeParams): { params: Record<string, unknown>; changed: string[] } {
    const resolved = resolveParams(this.rt.input.runbook.params, { ...this.rt.input.params, ...changes });
    if (!resolved.ok) {
      throw ApplicationFailure.nonRetryable(
        `resume params do not fit runbook ${this.rt.state.runbook}: ${resolved.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        PAUSE_REJECTION.paramsInvalid,
      );
    }
    const bytes = eventDataBytes({ params: resolved.params });
    if (bytes > MAX_EVENT_DATA_BYTES) {
      throw ApplicationFailure.nonRetryable(`params would be ${bytes} bytes serialized; a run's params must fit in ${MAX_EVENT_DATA_BYTES} bytes`, PAUSE_REJECTION.paramsInvalid);
    }
    // Compared with the current values resolved the same way, so spelling out a default changes nothing.
    const current = resolveParams(this.rt.input.runbook.params, this.rt.input.params);
    const before = current.ok ? current.params : this.rt.input.params;
    const names = new Set([...Object.keys(before), ...Object.keys(resolved.params)]);
    const changed = [...names].filter((name) => JSON.stringify(before[name]) !== JSON.stringify(resolved.params[name])).sort();
    return { params: resolved.params, changed };
  }

  /**
   * `pauseRun` update: completes in the activation that accepted it, with the state already paused.
   * It does not wait for run.paused to be stored: an update completing after a local activity
   * races the scheduler's own commands (the next step's timer or activity), and that order is not
   * the same on replay. The event is appended by the workflow all the same (queued, not cancellable).
   */
  onPauseUpdate(request: PauseRequest, log: (message: string) => void): void {
    this.validatePause();
    this.pause({ by: request.by, via: request.via, ...optional(request) }).catch((err: unknown) => log(`run.paused not stored: ${(err as Error).message}`));
  }

  onResumeUpdate(request: PauseRequest, log: (message: string) => void): void {
    this.validateResume();
    const merged = request.params ? this.mergedParams(request.params) : undefined;
    this.resume({ by: request.by, via: request.via, ...(request.reason ? { reason: request.reason } : {}), ...(merged ?? {}) }).catch((err: unknown) =>
      log(`run.resumed not stored: ${(err as Error).message}`),
    );
  }

  /** `pause` signal: the name is claimed; a refusal cannot be answered, so it shows in the UI's details. */
  async onPauseSignal(payload: unknown, log: (message: string) => void): Promise<void> {
    const parsed = PauseSignal.safeParse(payload);
    if (!parsed.success) return this.refuse('pause', issuesText(parsed.error), log);
    try {
      this.validatePause();
    } catch (err) {
      return this.refuse('pause', (err as Error).message, log);
    }
    await this.pause({ by: parsed.data.by, via: 'temporal-signal', claimed: true, ...optional(parsed.data) });
  }

  async onResumeSignal(payload: unknown, log: (message: string) => void): Promise<void> {
    const parsed = ResumeSignal.safeParse(payload);
    if (!parsed.success) return this.refuse('resume', issuesText(parsed.error), log);
    try {
      this.validateResume();
    } catch (err) {
      return this.refuse('resume', (err as Error).message, log);
    }
    await this.resume({ by: parsed.data.by, via: 'temporal-signal', claimed: true, ...(parsed.data.reason ? { reason: parsed.data.reason } : {}) });
  }

  /** A restartable step finished before its cancellation landed: it no longer runs again. */
  stepFinished(stepId: string): void {
    const pause = this.rt.state.pause;
    if (pause) pause.restarting = pause.restarting.filter((id) => id !== stepId);
  }

  private pause(command: PauseCommand): Promise<void> {
    const n = ++this.pauses;
    const immediate = command.immediate === true;
    this.rt.state.pause = {
      by: command.by,
      via: command.via,
      ...(command.claimed ? { claimed: true } : {}),
      ...(command.reason ? { reason: command.reason } : {}),
      immediate,
      at: new Date().toISOString(),
      restarting: [],
    };
    this.rt.signalNotice = undefined;
    this.rt.setStatus('paused');
    // After the state says paused, so the scheduler starts nothing in place of the cancelled steps.
    const restarting = immediate ? this.cancelRestartable() : [];
    this.rt.state.pause.restarting = restarting;
    this.rt.describe();
    return this.enqueue({
      type: 'run.paused',
      key: `pause/${n}/paused`,
      data: { by: command.by, via: command.via, claimed: command.claimed ?? false, reason: command.reason ?? null, immediate, restarting },
    });
  }

  private resume(command: PauseCommand): Promise<void> {
    const pause = this.rt.state.pause!;
    delete this.rt.state.pause;
    // Before the scheduler wakes: what starts from here renders with the new values.
    const changed = command.params && command.changed?.length ? command.changed : [];
    if (command.params && changed.length) this.rt.setParams(command.params);
    const replanned = changed.length ? this.replanGates(command.by) : [];
    this.rt.signalNotice = undefined;
    this.rt.setStatus(this.rt.state.approvals.some((a) => a.status === 'pending') ? 'waiting_approval' : 'running');
    this.rt.describe();
    const resumed = this.enqueue({
      type: 'run.resumed',
      key: `pause/${this.pauses}/resumed`,
      data: {
        by: command.by,
        via: command.via,
        claimed: command.claimed ?? false,
        reason: command.reason ?? null,
        pausedBy: pause.by,
        pausedAt: pause.at,
        restarting: pause.restarting,
        ...(changed.length ? { paramsChanged: changed } : {}),
      },
    });
    // Queued behind run.resumed, so a reader sees the resume before the gates it re-planned.
    return Promise.all([resumed, ...replanned.map((event) => this.enqueue(event))]).then(() => undefined);
  }

  private enqueue(event: { type: string; key: string; data: Record<string, unknown> }): Promise<void> {
    // Not cancellable: cancelling the run must not lose the record of who paused or resumed it.
    const emit = () => CancellationScope.nonCancellable(() => this.rt.emit([event]));
    const queued = this.emitQueue.then(emit);
    this.emitQueue = queued.catch(() => undefined);
    return queued;
  }

  private refuse(what: 'pause' | 'resume', reason: string, log: (message: string) => void): void {
    // eslint-disable-next-line no-control-regex
    const clean = reason.replace(/[\u0000-\u001f\u007f\u2028\u2029`]/g, '\ufffd').slice(0, 500);
    log(`refused ${what} signal: ${clean}`);
    this.rt.signalNotice = `Refused \`${what}\` signal: \`${clean}\`. The run is unchanged.`;
    this.rt.describe();
  }
}

function optional(source: { reason?: string | undefined; immediate?: boolean | undefined }): Pick<PauseCommand, 'reason' | 'immediate'> {
  return { ...(source.reason ? { reason: source.reason } : {}), ...(source.immediate ? { immediate: true } : {}) };
}

function issuesText(error: z.ZodError): string {
  return `malformed signal: ${error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(payload)'}: ${i.message}`).join('; ')}`;
}
