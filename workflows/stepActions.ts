import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  ParentClosePolicy,
  ChildWorkflowCancellationType,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  ActivityCancellationType,
  TimeoutFailure,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities/createActivities';
import type { StepActivityResult, StepFailureDetails } from '../activities/stepLifecycle';
import { withReferencedSteps } from '../domain/celReferences';
import { durationToMs } from '../domain/duration';
import { boundStepOutputs, STEP_OUTPUT_MAX_BYTES } from '../domain/outputBudget';
import type { ForeachAction, RetrySpec, StepExecution } from '../domain/runbook';
import { resolveParams } from '../domain/runParams';
import type { RunInput, RunState } from '../domain/runState';
import { DEFAULT_STEP_TIMEOUT, runsAsLocalActivity } from '../domain/stepExecution';
import { renderTemplate, type TemplateContext } from '../domain/template';
import { CopilotKind, RequestedBy, RunbookKey, RunStatusKey } from '../temporal/searchAttributes';
import type { RunRuntime } from './runRuntime';

/**
 * Executes one action (command, http, query, child runbook) of a step or of a foreach item, with the
 * step's timeout and retry policy as Temporal activity options.
 */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly attempts: number,
  ) {
    super(message);
    this.name = 'StepFailure';
  }
}

/** Activity cancellations stay cancellations (see stepFailure). */
export const ACTIVITY_CANCEL_PATCH = 'activity-cancel-stays-cancellation';
/** Child-run cancellations stay cancellations too (see runChild). */
export const CHILD_CANCEL_PATCH = 'child-cancel-stays-cancellation';

/**
 * Short http/query steps run as local activities (domain/stepExecution.ts). Histories from before
 * scheduled them as activity tasks; without the patch marker they keep doing so on replay.
 */
export const SHORT_STEPS_LOCAL_PATCH = 'short-steps-local-activities';

/**
 * Local steps' workflow tasks end with a no-op activity task instead of a 1 ms timer. On the dev
 * server a timer fires about 0.8 s late (bench/README.md: the 200-step chain). Histories from before
 * have the timers and keep them on replay.
 */
export const LOCAL_STEPS_BOUNDARY_PATCH = 'local-steps-boundary-activity';

const boundary = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: { initialInterval: '200ms', maximumInterval: '5s' } });

/** Ends the current workflow task, so its local-activity markers are recorded and pending messages are delivered. */
async function endLocalStepsTask(): Promise<void> {
  if (patched(LOCAL_STEPS_BOUNDARY_PATCH)) await boundary.endWorkflowTask();
  else await sleep(1);
}

/** Local steps a run started since its workflow task last ended on purpose (settleLocalSteps, or every LOCAL_STEPS_PER_TASK). */
const localSinceBoundary = new WeakMap<RunRuntime, number>();

/**
 * At most this many local steps in one workflow task: a long chain then still records its progress,
 * takes messages (cancel, pause, approvals) and stays well inside the 10 s workflow task timeout on a
 * busy worker; a crashed worker's successor re-runs at most these. Costs one no-op activity task per 20 steps.
 */
const LOCAL_STEPS_PER_TASK = 20;

/**
 * Call before a run's terminal events. Local steps' results become durable only when the workflow
 * task that ran them completes, and a cancel, signal or update that arrives meanwhile waits for
 * that task's end (consecutive local steps share one task, up to LOCAL_STEPS_PER_TASK of them).
 * Were the run to complete in that same task, the server would refuse the completion
 * (UnhandledCommand) and the run would start over from before those steps with the message first:
 * steps done and their events stored, then another outcome (cancelled, nothing compensated). A no-op
 * activity task ends the task first, so the run sees the message with its steps on record; a cancel then
 * compensates them as it always did.
 */
export async function settleLocalSteps(rt: RunRuntime): Promise<void> {
  if (!localSinceBoundary.get(rt)) return;
  localSinceBoundary.set(rt, 0);
  await endLocalStepsTask();
}

const DEFAULT_RETRY: RetrySpec = { maxAttempts: 3, initialInterval: '1s', backoffCoefficient: 2 };

export interface ActionTarget {
  stepId: string;
  stepKey: string;
  index?: number;
  timeout?: string;
  retry?: RetrySpec;
  /** CEL over `output` for http and query actions. */
  assert?: string;
  lifecycle: boolean;
  /** The step's `execution` override; unset: local for short http/query actions. */
  execution?: StepExecution;
}

function activityOptions(kind: 'command' | 'http' | 'query', target: ActionTarget): ActivityOptions & { maxAttempts: number } {
  const retry = target.retry ?? DEFAULT_RETRY;
  const timeoutMs = durationToMs(target.timeout ?? DEFAULT_STEP_TIMEOUT[kind]);
  return {
    // http/query enforce the step timeout themselves; the margin lets them report it cleanly.
    startToCloseTimeout: kind === 'command' ? timeoutMs : timeoutMs + 5000,
    ...(kind === 'command' ? { heartbeatTimeout: '30s' } : {}),
    retry: {
      maximumAttempts: retry.maxAttempts,
      initialInterval: durationToMs(retry.initialInterval),
      backoffCoefficient: retry.backoffCoefficient,
      ...(retry.maximumInterval ? { maximumInterval: durationToMs(retry.maximumInterval) } : {}),
    },
    maxAttempts: retry.maxAttempts,
  };
}

/** Turns an activity's final failure into a StepFailure carrying the attempt count. */
function stepFailure(err: unknown, maxAttempts: number): unknown {
  // A cancelled activity (run cancelled, sibling failed, immediate pause) is a cancellation, not a
  // failed step. It used to become a StepFailure with an empty message; histories from before keep that.
  if (isCancellation(err) && patched(ACTIVITY_CANCEL_PATCH)) return err;
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) {
      const details = cause.details?.[0] as StepFailureDetails | undefined;
      return new StepFailure(cause.message, details?.attempt ?? maxAttempts);
    }
    return new StepFailure(cause?.message ?? err.message, maxAttempts);
  }
  // A local activity's final failure reaches the workflow as the cause itself, not wrapped in an
  // ActivityFailure (activity tasks never get here: theirs always are).
  if (err instanceof ApplicationFailure) {
    const details = err.details?.[0] as StepFailureDetails | undefined;
    return new StepFailure(err.message, details?.attempt ?? maxAttempts);
  }
  if (err instanceof TimeoutFailure) return new StepFailure(err.message, maxAttempts);
  return err;
}

export async function runAction(rt: RunRuntime, action: ForeachAction, target: ActionTarget, ctx: TemplateContext): Promise<{ output: unknown; attempts: number }> {
  const runId = rt.input.runId;
  const base = {
    runId,
    stepId: target.stepId,
    stepKey: target.stepKey,
    lifecycle: target.lifecycle,
    ...(target.index !== undefined ? { index: target.index } : {}),
    ...(target.assert ? { assert: { expression: target.assert, context: { ...withReferencedSteps(target.assert, ctx) } as Record<string, unknown> } } : {}),
  };
  if (action.type === 'runbook') return runChild(rt, action.runbook, renderTemplate(action.params, ctx), target);

  const kind = action.type;
  const { maxAttempts, ...options } = activityOptions(kind, target);
  // The same activity functions either way: only where they run changes. Inputs, idempotency keys,
  // retry policy and the step.* events they emit are identical.
  const local = runsAsLocalActivity(kind, target.timeout, target.execution) && patched(SHORT_STEPS_LOCAL_PATCH);
  if (local) {
    const since = localSinceBoundary.get(rt) ?? 0;
    if (since >= LOCAL_STEPS_PER_TASK) {
      localSinceBoundary.set(rt, 0);
      await endLocalStepsTask();
    }
    localSinceBoundary.set(rt, (localSinceBoundary.get(rt) ?? 0) + 1);
  }
  const acts = local
    ? proxyLocalActivities<Activities>({
        startToCloseTimeout: options.startToCloseTimeout!,
        retry: options.retry!,
        // As for the activity tasks they replace: a cancelled step settles at once, its request is aborted.
        cancellationType: ActivityCancellationType.TRY_CANCEL,
      })
    : proxyActivities<Activities>(options);
  // A decided gate's events, stored by this activity ahead of its step.started (RunRuntime.carry).
  // Compensations report no step.* events of their own, so they carry nothing.
  const carried = target.lifecycle ? rt.carry() : undefined;
  const input = { ...base, maxAttempts, ...(carried ? { preceding: carried.batch } : {}) };
  let result: StepActivityResult;
  try {
    if (kind === 'command') {
      const rendered = renderTemplate({ command: action.command, env: action.env, expectExitCode: action.expectExitCode }, ctx);
      result = await acts.commandStep({ ...input, action: rendered });
    } else if (kind === 'http') {
      const rendered = renderTemplate({ request: action.request, expectStatus: action.expectStatus }, ctx);
      result = await acts.httpStep({ ...input, action: rendered, timeoutMs: durationToMs(target.timeout ?? DEFAULT_STEP_TIMEOUT.http) });
    } else {
      const query = renderTemplate(action.query, ctx);
      result = await acts.queryStep({ ...input, action: { query }, timeoutMs: durationToMs(target.timeout ?? DEFAULT_STEP_TIMEOUT.query) });
    }
  } catch (err) {
    carried?.released();
    throw stepFailure(err, maxAttempts);
  }
  carried?.stored();
  return { output: result.output, attempts: result.attempt };
}

async function runChild(rt: RunRuntime, name: string, rawParams: Record<string, unknown>, target: ActionTarget): Promise<{ output: unknown; attempts: number }> {
  const acts = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 5 } });
  let definition;
  try {
    definition = await acts.loadRunbook(name);
  } catch (err) {
    throw stepFailure(err, 1);
  }
  const resolved = resolveParams(definition.params, rawParams);
  if (!resolved.ok) {
    throw new StepFailure(`invalid params for runbook ${name}: ${resolved.issues.map((i: { path: string; message: string }) => `${i.path}: ${i.message}`).join('; ')}`, 1);
  }
  const childId = `${rt.input.runId}--${target.stepKey.replace(/[^a-zA-Z0-9-]/g, '-')}`;
  const input: RunInput = { runId: childId, runbook: definition, params: resolved.params, requestedBy: rt.input.requestedBy, parentRunId: rt.input.runId };
  try {
    const state = await executeChild<(input: RunInput) => Promise<RunState>>('runbookRun', {
      workflowId: childId,
      args: [input],
      ...(target.timeout ? { workflowExecutionTimeout: durationToMs(target.timeout) } : {}),
      parentClosePolicy: ParentClosePolicy.TERMINATE,
      // Let a cancelled child finish its own compensation before the parent compensates.
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
      typedSearchAttributes: [
        { key: CopilotKind, value: 'runbook' },
        { key: RunbookKey, value: name },
        { key: RunStatusKey, value: 'running' },
        { key: RequestedBy, value: rt.input.requestedBy.sub },
      ],
    });
    // Within one step's budget: the child's largest outputs give way first (domain/outputBudget.ts).
    const kept = boundStepOutputs(
      { runId: childId, status: state.status, steps: state.steps.map((s) => ({ id: s.id, status: s.status, output: s.output })) },
      STEP_OUTPUT_MAX_BYTES,
    );
    return { output: { runId: childId, status: state.status, steps: Object.fromEntries(kept.steps.map(({ id, ...step }) => [id, step])) }, attempts: 1 };
  } catch (err) {
    // A child cancelled with its parent step (immediate pause of a restartable step, run cancelled)
    // is a cancellation, so the step can start again; histories from before recorded it as failed.
    if (isCancellation(err) && patched(CHILD_CANCEL_PATCH)) throw err;
    if (err instanceof ChildWorkflowFailure) {
      throw new StepFailure(`child run ${childId} (${name}) failed: ${err.cause?.message ?? err.message}`, 1);
    }
    throw err;
  }
}
