import { ApplicationFailure, CancellationScope, condition } from '@temporalio/workflow';
import type { z } from 'zod';
import { PAUSE_REJECTION, PauseSignal, ResumeSignal, type PauseChannel, type PauseRequest } from '../domain/pause';
import type { RunRuntime } from './runRuntime';

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
}

export class PauseControl {
  private pauses = 0;
  /** run.paused / run.resumed are appended one after another, in the order the requests arrived. */
  private emitQueue: Promise<void> = Promise.resolve();
  /** Set by the scheduler: cancels the running restartable steps and returns their ids. */
  cancelRestartable: () => string[] = () => [];

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

  validateResume(): void {
    if (!this.paused || this.rt.finished) {
      throw ApplicationFailure.nonRetryable(`run ${this.rt.state.runId} is ${this.rt.state.status}, not paused`, PAUSE_REJECTION.notPaused);
    }
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
    this.resume({ by: request.by, via: request.via, ...(request.reason ? { reason: request.reason } : {}) }).catch((err: unknown) =>
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
    this.rt.signalNotice = undefined;
    this.rt.setStatus(this.rt.state.approvals.some((a) => a.status === 'pending') ? 'waiting_approval' : 'running');
    this.rt.describe();
    return this.enqueue({
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
      },
    });
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
