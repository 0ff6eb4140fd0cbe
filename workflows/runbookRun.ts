import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  patched,
  setHandler,
} from '@temporalio/workflow';
import type { ApprovalDecision } from '../domain/approval';
import { eventDataBytes, MAX_EVENT_DATA_BYTES } from '../domain/eventPayload';
import { PERMANENT_FAILURE } from '../domain/failureTypes';
import type { RunInput, RunState } from '../domain/runState';
import { ApprovalGates } from './approvalGate';
import { compensate, type Compensable } from './compensation';
import { approvalSignal, decideApprovalUpdate, stateQuery } from './definitions';
import { RunRuntime } from './runRuntime';
import { runStep, type StepOutcome } from './stepRunner';
import { StepFailure } from './stepActions';

/**
 * One runbook run: a DAG of steps executed in dependency order, up to `concurrency` at a time.
 * A failed step (without continueOnError) stops scheduling, cancels running siblings, compensates
 * completed steps in reverse order and fails the run; cancelling the run does the same.
 */
export async function runbookRun(input: RunInput): Promise<RunState> {
  const rt = new RunRuntime(input);
  const gates = new ApprovalGates(rt);

  setHandler(stateQuery, () => rt.state, { description: 'The run state: steps, approvals, status (same JSON as GET /api/v1/runs/:runId).' });
  setHandler(approvalSignal, (signal) => gates.onSignal(signal, (m) => log.warn(m)), {
    description:
      'Decide an approval gate: {"gateId":"<step id>","decision":"approve"|"reject","approver":"<name>","comment":"..."}. ' +
      'Four-eyes gates refuse the requester. Recorded as via "temporal-signal" with the approver marked as claimed; ' +
      'a refused signal shows its reason in the current details and as an approval.refused event.',
  });
  setHandler(decideApprovalUpdate, (decision) => gates.onUpdate(decision), {
    validator: (decision: ApprovalDecision) => gates.validateUpdate(decision),
    description: 'Decide an approval gate as a verified principal (used by the API and chat); refused decisions are rejected.',
  });
  rt.describe();

  const started = { runbook: input.runbook.name, params: input.params, requestedBy: input.requestedBy.sub, ...(input.parentRunId ? { parentRunId: input.parentRunId } : {}) };
  // Params too big for their run.started event (the API answers 413; a client talking to Temporal
  // directly does not ask it) would also ride along in every activity input and swell history:
  // fail the run before any step, with the reason in run.failed. patched() only on that path, so
  // ordinary runs' histories are unchanged.
  const startedBytes = eventDataBytes(started);
  if (startedBytes > MAX_EVENT_DATA_BYTES && patched('run-params-too-large-fails')) {
    return failOversizedRun(rt, started, startedBytes);
  }
  await rt.emit([{ type: 'run.started', key: 'run.started', data: started }]);
  await rt.loadContext();

  const completed: Compensable[] = [];
  try {
    await executeDag(rt, gates, completed);
    rt.state.finishedAt = new Date().toISOString();
    rt.setStatus('succeeded');
    await rt.emit([{ type: 'run.completed', key: 'run.completed', data: { status: 'succeeded' } }]);
    return await finish(rt);
  } catch (err) {
    const cancelled = isCancellation(err);
    const message = cancelled ? 'run cancelled' : (err as Error).message;
    rt.state.error = message;
    await CancellationScope.nonCancellable(async () => {
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
    throw ApplicationFailure.nonRetryable(message, 'RunbookFailed');
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
  return rt.state;
}

interface Running {
  promise: Promise<void>;
  scope: CancellationScope;
}

async function executeDag(rt: RunRuntime, gates: ApprovalGates, completed: Compensable[]): Promise<void> {
  const steps = rt.input.runbook.steps;
  const satisfied = new Set<string>();
  const running = new Map<string, Running>();
  let failure: StepFailure | Error | undefined;
  let cancelled: Error | undefined;

  const start = (step: (typeof steps)[number]) => {
    const state = rt.step(step.id);
    state.status = step.type === 'approval' ? 'waiting' : 'running';
    state.startedAt = new Date().toISOString();
    rt.describe();
    const scope = new CancellationScope();
    const promise = scope
      .run(() => runStep(rt, gates, step))
      .then(
        (outcome: StepOutcome) => {
          state.status = outcome.status;
          state.attempts = outcome.attempts;
          state.finishedAt = new Date().toISOString();
          if (outcome.output !== undefined) state.output = outcome.output;
          rt.template.steps[step.id] = { status: outcome.status, ...(outcome.output !== undefined ? { output: outcome.output } : {}) };
          satisfied.add(step.id);
          if (outcome.status === 'succeeded' && step.compensate) completed.push({ stepId: step.id, action: step.compensate });
        },
        async (err: unknown) => {
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
            rt.emit([{ type: 'step.failed', key: `${step.id}/failed`, data: { stepId: step.id, error: message, attempts: state.attempts, continueOnError: step.continueOnError } }]),
          );
          if (step.continueOnError) {
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
    if (!failure && cancelled === undefined) {
      for (const step of steps) {
        if (running.size >= rt.input.runbook.concurrency) break;
        if (rt.step(step.id).status !== 'pending') continue;
        if (step.needs.every((need) => satisfied.has(need))) start(step);
      }
    }
    if (running.size === 0) break;
    await Promise.race([...running.values()].map((r) => r.promise));
  }
  for (const step of rt.state.steps) if (step.status === 'pending') step.status = 'cancelled';
  if (cancelled !== undefined) throw cancelled;
  if (failure) throw failure;
}
