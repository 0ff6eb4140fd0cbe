import { ApplicationFailure, CancellationScope, allHandlersFinished, condition, isCancellation, log, patched, setHandler } from '@temporalio/workflow';
import { APPROVAL_TIMED_OUT, type DecideApprovalInput } from '../domain/approval';
import { eventDataBytes, MAX_EVENT_DATA_BYTES } from '../domain/eventPayload';
import { PERMANENT_FAILURE, RUN_FAILURE } from '../domain/failureTypes';
import { boundRunState } from '../domain/outputBudget';
import type { PauseRequest } from '../domain/pause';
import type { RunInput, RunState } from '../domain/runState';
import { runStartedData } from '../domain/runStarted';
import { ApprovalGates } from './approvalGate';
import { compensate, type Compensable } from './compensation';
import { approvalSignal, decideApprovalUpdate, pauseRunUpdate, pauseSignal, resumeRunUpdate, resumeSignal, stateQuery } from './definitions';
import { PauseControl } from './pauseControl';
import { RunRuntime } from './runRuntime';
import { runStep, type StepOutcome } from './stepRunner';
import { settleLocalSteps, StepFailure } from './stepActions';

/** `run.started` is stored and the run's context loaded by one local activity (`startRunWithContext`). */
export const RUN_STARTED_WITH_CONTEXT_PATCH = 'run-started-with-context';

/**
 * One runbook run: a DAG of steps executed in dependency order, up to `concurrency` at a time.
 * A failed step (without continueOnError) stops scheduling, cancels running siblings, compensates
 * completed steps in reverse order and fails the run; cancelling the run does the same.
 */
export async function runbookRun(input: RunInput): Promise<RunState> {
  const rt = new RunRuntime(input);
  const gates = new ApprovalGates(rt);
  const pause = new PauseControl(rt);
  pause.replanGates = (by) => gates.replan(by);

  // The state handed out (query, update answers, the result) fits a payload (domain/outputBudget.ts).
  setHandler(stateQuery, () => boundRunState(rt.state), { description: 'The run state: steps, approvals, status (same JSON as GET /api/v1/runs/:runId).' });
  setHandler(approvalSignal, (signal) => gates.onSignal(signal, (m) => log.warn(m)), {
    description:
      'Decide an approval gate: {"gateId":"<step id>","decision":"approve"|"reject","approver":"<name>","comment":"..."}. ' +
      'Four-eyes gates refuse the requester. Recorded as via "temporal-signal" with the approver marked as claimed; ' +
      'a refused signal shows its reason in the current details and as an approval.refused event.',
  });
  setHandler(decideApprovalUpdate, (decision) => gates.onUpdate(decision), {
    validator: (decision: DecideApprovalInput) => gates.validateUpdate(decision),
    description: 'Decide an approval gate as a verified principal (used by the API and chat); refused decisions are rejected.',
  });
  setHandler(pauseSignal, (signal) => pause.onPauseSignal(signal, (m) => log.warn(m)), {
    description:
      'Pause the run: {"by":"<name>","reason":"...","immediate":false}. No new step starts; running steps finish ' +
      '(immediate: those marked restartable are cancelled and run again on resume). Recorded as via "temporal-signal", by claimed.',
  });
  setHandler(resumeSignal, (signal) => pause.onResumeSignal(signal, (m) => log.warn(m)), {
    description: 'Resume a paused run: {"by":"<name>","reason":"..."}. Recorded as via "temporal-signal", by claimed.',
  });
  setHandler(pauseRunUpdate, (request) => (pause.onPauseUpdate(request, (m) => log.warn(m)), boundRunState(rt.state)), {
    validator: (_request: PauseRequest) => pause.validatePause(),
    description: 'Pause the run as a verified principal (API, chat); refused when it is not running or already paused.',
  });
  setHandler(resumeRunUpdate, (request) => (pause.onResumeUpdate(request, (m) => log.warn(m)), boundRunState(rt.state)), {
    validator: (request: PauseRequest) => pause.validateResume(request),
    description: 'Resume a paused run as a verified principal (API, chat); refused when it is not paused.',
  });
  rt.describe();

  // The API may have stored this event already (domain/runStarted.ts): same data, same key.
  const started = runStartedData(input);
  // Params too big for their run.started event (the API answers 413; a client talking to Temporal
  // directly does not ask it) would also ride along in every activity input and swell history:
  // fail the run before any step, with the reason in run.failed. patched() only on that path, so
  // ordinary runs' histories are unchanged.
  const startedBytes = eventDataBytes(started);
  if (startedBytes > MAX_EVENT_DATA_BYTES && patched('run-params-too-large-fails')) {
    return failOversizedRun(rt, started, startedBytes);
  }
  const startedEvent = { type: 'run.started', key: 'run.started', data: started };
  // One local activity for both since RUN_STARTED_WITH_CONTEXT_PATCH; histories from before have two.
  if (patched(RUN_STARTED_WITH_CONTEXT_PATCH)) {
    await rt.startWithContext(startedEvent);
  } else {
    await rt.emit([startedEvent]);
    await rt.loadContext();
  }

  const completed: Compensable[] = [];
  try {
    await executeDag(rt, gates, pause, completed);
    await settleLocalSteps(rt);
    rt.state.finishedAt = new Date().toISOString();
    rt.setStatus('succeeded');
    await rt.emit([{ type: 'run.completed', key: 'run.completed', data: { status: 'succeeded' } }]);
    return await finish(rt);
  } catch (err) {
    const cancelled = isCancellation(err);
    const message = cancelled ? 'run cancelled' : (err as Error).message;
    rt.state.error = message;
    await CancellationScope.nonCancellable(async () => {
      await settleLocalSteps(rt);
      await compensate(rt, completed, message);
      rt.state.finishedAt = new Date().toISOString();
      rt.setStatus(cancelled ? 'cancelled' : 'failed');
      await rt.emit([
        cancelled
          ? { type: 'run.cancelled', key: 'run.cancelled', data: { status: 'cancelled', compensated: rt.state.compensated } }
          : { type: 'run.failed', key: 'run.failed', data: { status: 'failed', error: message, compensated: rt.state.compensated } },
      ]);
      await finish(rt);
    });
    if (cancelled) throw err;
    throw ApplicationFailure.nonRetryable(message, RUN_FAILURE.runbookFailed);
  }
}

async function failOversizedRun(rt: RunRuntime, started: Record<string, unknown>, bytes: number): Promise<never> {
  const message = `params are ${bytes} bytes serialized; a run's params must fit in ${MAX_EVENT_DATA_BYTES} bytes (256 KiB)`;
  await rt.emit([{ type: 'run.started', key: 'run.started', data: { ...started, params: { truncated: true, bytes } } }]);
  for (const step of rt.state.steps) step.status = 'cancelled';
  rt.state.error = message;
  rt.state.finishedAt = new Date().toISOString();
  rt.setStatus('failed');
  await rt.emit([{ type: 'run.failed', key: 'run.failed', data: { status: 'failed', error: message, compensated: false } }]);
  await finish(rt);
  throw ApplicationFailure.nonRetryable(message, PERMANENT_FAILURE.runParamsTooLarge);
}

async function finish(rt: RunRuntime): Promise<RunState> {
  rt.finished = true;
  await condition(allHandlersFinished);
  return boundRunState(rt.state);
}

interface Running {
  promise: Promise<void>;
  scope: CancellationScope;
}

async function executeDag(rt: RunRuntime, gates: ApprovalGates, pause: PauseControl, completed: Compensable[]): Promise<void> {
  const steps = rt.input.runbook.steps;
  const satisfied = new Set<string>();
  const running = new Map<string, Running>();
  let failure: StepFailure | Error | undefined;
  let cancelled: Error | undefined;
  /** Running steps an immediate pause cancelled: they go back to pending instead of failing the run. */
  const restarting = new Set<string>();
  pause.cancelRestartable = () => {
    const ids: string[] = [];
    for (const step of steps) {
      const run = running.get(step.id);
      if (!run || !step.restartable || step.type === 'approval' || restarting.has(step.id)) continue;
      restarting.add(step.id);
      run.scope.cancel();
      ids.push(step.id);
    }
    return ids;
  };

  const start = (step: (typeof steps)[number]) => {
    const state = rt.step(step.id);
    state.status = step.type === 'approval' ? 'waiting' : 'running';
    state.startedAt = new Date().toISOString();
    rt.describe();
    const scope = new CancellationScope();
    const promise = scope
      .run(() => runStep(rt, gates, step, state.restarts ?? 0))
      .then(
        (outcome: StepOutcome) => {
          if (restarting.delete(step.id)) pause.stepFinished(step.id);
          state.status = outcome.status;
          state.attempts = outcome.attempts;
          state.finishedAt = new Date().toISOString();
          if (outcome.output !== undefined) state.output = outcome.output;
          rt.template.steps[step.id] = { status: outcome.status, ...(outcome.output !== undefined ? { output: outcome.output } : {}) };
          satisfied.add(step.id);
          if (outcome.status === 'succeeded' && step.compensate) completed.push({ stepId: step.id, action: step.compensate });
        },
        async (err: unknown) => {
          if (isCancellation(err) && restarting.delete(step.id)) {
            // Cancelled by an immediate pause: pending again, started afresh (new keys) on resume.
            state.status = 'pending';
            state.restarts = (state.restarts ?? 0) + 1;
            delete state.startedAt;
            await CancellationScope.nonCancellable(() =>
              rt.emit([{ type: 'step.cancelled', key: `${step.id}/cancelled/${state.restarts}`, data: { stepId: step.id, reason: 'paused', restart: true } }]),
            );
            return;
          }
          state.finishedAt = new Date().toISOString();
          if (isCancellation(err)) {
            state.status = 'cancelled';
            if (!failure) cancelled ??= err as Error;
            return;
          }
          const message = (err as Error).message;
          state.status = 'failed';
          state.error = message;
          state.attempts = err instanceof StepFailure ? err.attempts : state.attempts;
          await CancellationScope.nonCancellable(() =>
            rt.emit([
              { type: 'step.failed', key: `${step.id}/failed`, data: { stepId: step.id, error: message, attempts: state.attempts, continueOnError: step.continueOnError } },
            ]),
          );
          if (step.continueOnError && !(err instanceof ApplicationFailure && err.type === APPROVAL_TIMED_OUT)) {
            rt.template.steps[step.id] = { status: 'failed', output: { error: message } };
            satisfied.add(step.id);
            return;
          }
          if (!failure) {
            failure = new StepFailure(`step "${step.id}" failed: ${message}`, state.attempts);
            for (const [id, other] of running) if (id !== step.id) other.scope.cancel();
          }
        },
      )
      .finally(() => {
        running.delete(step.id);
        rt.describe();
      });
    running.set(step.id, { promise, scope });
  };

  for (;;) {
    if (rt.hasUncarryable()) await rt.flushUncarried();
    if (!failure && cancelled === undefined && !pause.paused) {
      for (const step of steps) {
        if (running.size >= rt.input.runbook.concurrency) break;
        if (rt.step(step.id).status !== 'pending') continue;
        if (step.needs.every((need) => satisfied.has(need))) start(step);
      }
    }
    // A decided gate's events that no step just started has taken along (RunRuntime.carry); too big
    // to ride along, they were stored above, before any step could start.
    if (rt.hasUncarried()) await rt.flushUncarried();
    if (running.size === 0) {
      // Paused with nothing running: wait for resume (or cancellation), unless nothing is left to start.
      if (pause.paused && !failure && cancelled === undefined && rt.state.steps.some((s) => s.status === 'pending')) {
        try {
          await pause.untilResumed();
        } catch (err) {
          // Cancelled while paused: what never started is cancelled, then the run compensates.
          for (const step of rt.state.steps) if (step.status === 'pending') step.status = 'cancelled';
          throw err;
        }
        continue;
      }
      break;
    }
    const waits = [...running.values()].map((r) => r.promise);
    // While paused, a resume must wake the scheduler even if the running steps take long.
    // A cancellation reaches the running steps too; their handlers end the loop as before.
    await Promise.race(pause.paused ? [...waits, pause.untilResumed().catch(() => undefined)] : waits);
  }
  for (const step of rt.state.steps) if (step.status === 'pending') step.status = 'cancelled';
  if (cancelled !== undefined) throw cancelled;
  if (failure) throw failure;
}
