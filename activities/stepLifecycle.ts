import { stepDuration } from '../observability/metrics';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { appendRunEvents } from '../db/runEventAppend';
import { evaluateCondition } from '../domain/cel';
import type { EventStore, NewEvent } from '../domain/events';
import { asPermanentFailure } from './permanentFailures';
import { STEP_FAILURE } from '../domain/failureTypes';
import { boundOutput } from '../domain/outputBudget';

/** What the workflow hands a step activity: the action is already rendered (templates resolved). */
export interface StepActivityInput<A> {
  runId: string;
  stepId: string;
  /** Unique within the run: `deploy`, `fleet[2]`, `deploy:compensate`. Keys events and idempotency. */
  stepKey: string;
  action: A;
  /** The step's retry budget, so an attempt knows whether a failure will be retried. */
  maxAttempts: number;
  /** false for compensations: the workflow reports those as compensation.* events. */
  lifecycle: boolean;
  index?: number;
  /**
   * CEL over `output` plus the run context, checked inside the attempt so a failed check is retried
   * like any transient failure (a smoke check waiting for a rollout to converge).
   */
  assert?: { expression: string; context: Record<string, unknown> };
  /**
   * Run events the workflow handed this activity to store ahead of its step.started, in the same
   * append (an approved gate's approval.decided and step.succeeded: RunRuntime.carry). Keyed like
   * the workflow's own emits, so one stored before, or again by a retried attempt, is stored once.
   */
  preceding?: NewEvent[];
}

export interface StepActivityResult {
  output: unknown;
  attempt: number;
}

/** Details attached to every step failure so the workflow can report the attempt count. */
export interface StepFailureDetails {
  attempt: number;
}

/**
 * How long an idempotent body may run before its step.started is stored on its own. A body done
 * sooner (a short http step, a query) has step.started stored together with its outcome, in one
 * statement: one database round trip per step instead of two.
 */
export const STARTED_WINDOW_MS = 20;

/**
 * Wraps one attempt of a step: emits step.started / step.retrying / step.succeeded with dedupe keys
 * derived from run id + step key + attempt, so an attempt that is re-delivered never duplicates them.
 * step.failed is the workflow's to emit: only it knows the retries are exhausted.
 */
export async function runStepAttempt<A>(
  events: EventStore,
  input: StepActivityInput<A>,
  body: (attempt: number) => Promise<unknown>,
  options: { idempotentBody?: boolean; startedWindowMs?: number } = {},
): Promise<StepActivityResult> {
  const { attempt, activityType } = Context.current().info;
  // commandStep → command: the step type of the runbook DSL, a bounded label.
  const observe = stepDuration.startTimer({ type: activityType.replace(/Step$/, '') });
  const base = `${input.runId}/${input.stepKey}`;
  const ids = { stepId: input.stepId, stepKey: input.stepKey, ...(input.index !== undefined ? { index: input.index } : {}) };
  const startedEvent = input.lifecycle ? { type: 'step.started', data: { ...ids, attempt }, dedupeKey: `${base}/${attempt}/started` } : undefined;
  // Commands wait for step.started: they must not run unrecorded. An idempotent body (an http
  // request with its Idempotency-Key, a read-only query) starts at once; its step.started is stored
  // after STARTED_WINDOW_MS, or with the attempt's outcome if that comes first, and always before
  // any later event of the attempt. A failed store fails the attempt, whose retry repeats the body
  // harmlessly.
  let startedStore: Promise<unknown> | undefined;
  let window: ReturnType<typeof setTimeout> | undefined;
  const preceding = input.preceding ?? [];
  // The attempt's first append: the carried events ahead of its own (with their feed copies).
  const appendFirst = (own: NewEvent[]) => (preceding.length > 0 ? appendRunEvents(events, input.runId, [...preceding, ...own]) : events.append(input.runId, own));
  const storeStarted = (event: NewEvent) => (startedStore ??= appendFirst([event]));
  if (startedEvent) {
    if (!options.idempotentBody) await storeStarted(startedEvent);
    // Carrying a decision: stored at once, beside the body, so watchers see it without waiting for
    // the body or the window (one statement more, only for the step after a gate).
    else if (preceding.length > 0) void storeStarted(startedEvent).catch(() => undefined);
    else window = setTimeout(() => void storeStarted(startedEvent).catch(() => undefined), options.startedWindowMs ?? STARTED_WINDOW_MS);
  }
  try {
    // Every kind of step: what goes on to history, run state and the assertion fits a payload.
    const output = boundOutput(await body(attempt));
    clearTimeout(window);
    await startedStore;
    if (input.assert) checkAssertion(input.assert, output);
    observe({ outcome: 'succeeded' });
    if (startedEvent) {
      const succeeded = { type: 'step.succeeded', data: { ...ids, attempt, output: summarise(output) }, dedupeKey: `${base}/succeeded` };
      await (startedStore ? events.append(input.runId, [succeeded]) : appendFirst([startedEvent, succeeded]));
    }
    return { output, attempt };
  } catch (err) {
    clearTimeout(window);
    // A failed step.started store fails the attempt as itself (a transient store error to retry).
    await startedStore;
    const failure = asFailure(err, attempt);
    const willRetry = !failure.nonRetryable && attempt < input.maxAttempts;
    observe({ outcome: willRetry ? 'retrying' : 'failed' });
    if (startedEvent) {
      const retrying = willRetry
        ? [{ type: 'step.retrying', data: { ...ids, attempt, nextAttempt: attempt + 1, error: failure.message }, dedupeKey: `${base}/${attempt}/retrying` }]
        : [];
      // Not stored yet (the body failed within the window, or the combined append above did): now,
      // before the workflow's step.failed. A duplicate of a stored one is skipped by its key.
      if (!startedStore) await appendFirst([startedEvent, ...retrying]);
      else if (retrying.length > 0) await events.append(input.runId, retrying);
    }
    throw failure;
  }
}

function checkAssertion(assert: { expression: string; context: Record<string, unknown> }, output: unknown): void {
  let passed: boolean;
  try {
    passed = evaluateCondition(assert.expression, { ...assert.context, output });
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`assertion cannot be evaluated: ${(err as Error).message}`, STEP_FAILURE.assertionInvalid);
  }
  if (!passed) throw ApplicationFailure.retryable(`assertion failed: ${assert.expression}`, STEP_FAILURE.assertionFailed);
}

function asFailure(err: unknown, attempt: number): ApplicationFailure {
  // A value the database or event store refused will be refused again: fail the step now.
  err = asPermanentFailure(err) ?? err;
  if (err instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.type ?? STEP_FAILURE.failed,
      nonRetryable: err.nonRetryable ?? false,
      details: [{ attempt } satisfies StepFailureDetails],
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({ message, type: STEP_FAILURE.failed, details: [{ attempt } satisfies StepFailureDetails] });
}

/** Events carry a bounded preview of outputs; the full output lives in workflow state. */
export function summarise(output: unknown, maxChars = 4096): unknown {
  // Escaped NULs survive JSON but not Postgres jsonb; replace them in the event copy.
  const text = (JSON.stringify(output) ?? 'null').replace(/\\u0000/g, '\\ufffd');
  if (text.length <= maxChars) return JSON.parse(text) as unknown;
  return { truncated: true, preview: text.slice(0, maxChars) };
}
