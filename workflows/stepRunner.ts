import { CancellationScope, sleep } from '@temporalio/workflow';
import { evaluateCondition, evaluateExpression, ExpressionError } from '../domain/cel';
import { durationToMs } from '../domain/duration';
import { boundItems } from '../domain/outputBudget';
import type { ForeachStep, Step } from '../domain/runbook';
import { renderTemplate } from '../domain/template';
import type { ApprovalGates } from './approvalGate';
import type { RunRuntime } from './runRuntime';
import { runAction, StepFailure, type ActionTarget } from './stepActions';

/** Runs one step of the DAG by type. Activity-backed steps report their own start/success events. */
export interface StepOutcome {
  status: 'succeeded' | 'skipped';
  output?: unknown;
  attempts: number;
}

/** CEL or template errors are the runbook's fault: they fail the step, never the workflow task. */
function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new StepFailure(`${what}: ${(err as Error).message}`, 0);
  }
}

/**
 * `restarts`: how often an immediate pause cancelled this step. A restarted step gets fresh keys
 * (`<id>~<n>`: events, idempotency keys, child run id), so its new attempt is not deduplicated
 * away as the cancelled one; a step never restarted keeps the keys it always had.
 */
export async function runStep(rt: RunRuntime, gates: ApprovalGates, step: Step, restarts = 0): Promise<StepOutcome> {
  const ctx = rt.template;
  const stepKey = restarts > 0 ? `${step.id}~${restarts}` : step.id;
  if (step.when !== undefined && !guard('when', () => evaluateCondition(step.when!, { ...ctx }))) {
    await rt.emit([{ type: 'step.skipped', key: `${step.id}/skipped`, data: { stepId: step.id, when: step.when } }]);
    return { status: 'skipped', attempts: 0 };
  }
  const target: ActionTarget = {
    stepId: step.id,
    stepKey,
    lifecycle: true,
    ...(step.timeout ? { timeout: step.timeout } : {}),
    ...(step.retry ? { retry: step.retry } : {}),
    ...('assert' in step && step.assert ? { assert: step.assert } : {}),
    ...('execution' in step && step.execution ? { execution: step.execution } : {}),
  };
  switch (step.type) {
    case 'command':
    case 'http':
    case 'query':
      return guardedAction(rt, step, target);
    case 'approval': {
      const message = step.message ? guard('message', () => String(renderTemplate(step.message!, ctx))) : undefined;
      return workflowStep(
        rt,
        step,
        stepKey,
        async () => {
          const gate = await gates.await(step, message);
          // The approver's `inputs` become `${{ steps.<gate>.output.<name> }}`.
          return { ...gate.inputs, decidedBy: gate.decidedBy, via: gate.via, votes: gate.votes, ...(gate.digest ? { digest: gate.digest } : {}) };
        },
        // Its approval.decided rides along with the next step's activity: so does this.
        () => gates.carriesDecision(step.id),
      );
    }
    case 'wait':
      return workflowStep(rt, step, stepKey, async () => {
        await sleep(durationToMs(step.duration));
        return { waited: step.duration };
      });
    case 'runbook':
      return workflowStep(rt, step, stepKey, async () => (await guardedAction(rt, step, target)).output);
    case 'foreach':
      return workflowStep(rt, step, stepKey, () => runForeach(rt, step, stepKey));
  }
}

async function guardedAction(rt: RunRuntime, step: Exclude<Step, { type: 'approval' | 'wait' | 'foreach' }>, target: ActionTarget): Promise<StepOutcome> {
  try {
    const { output, attempts } = await runAction(rt, step, target, rt.template);
    return { status: 'succeeded', output, attempts };
  } catch (err) {
    if (err instanceof ExpressionError) throw new StepFailure(err.message, 0);
    throw err;
  }
}

/**
 * Steps without an activity of their own: the workflow reports their start and success.
 * `carrySucceeded`: the step.succeeded waits for the next step activity to store it (RunRuntime.defer).
 */
async function workflowStep(rt: RunRuntime, step: Step, stepKey: string, body: () => Promise<unknown>, carrySucceeded?: () => boolean): Promise<StepOutcome> {
  await rt.emit([{ type: 'step.started', key: `${stepKey}/wf/started`, data: { stepId: step.id, attempt: 1 } }]);
  let output: unknown;
  try {
    output = await body();
  } catch (err) {
    if (err instanceof ExpressionError) throw new StepFailure(err.message, 1);
    throw err;
  }
  const succeeded = { type: 'step.succeeded', key: `${stepKey}/wf/succeeded`, data: { stepId: step.id, attempt: 1 } };
  if (carrySucceeded?.()) rt.defer([succeeded], () => undefined, { carry: true });
  else await rt.emit([succeeded]);
  return { status: 'succeeded', output, attempts: 1 };
}

/** Fan-out over a list with bounded parallelism; the first failure cancels the remaining items. */
async function runForeach(rt: RunRuntime, step: ForeachStep, stepKey: string): Promise<unknown[]> {
  const items = guard('items', () =>
    typeof step.items === 'string'
      ? step.items.includes('${{')
        ? renderTemplate(step.items, rt.template)
        : evaluateExpression(step.items, { ...rt.template })
      : renderTemplate(step.items, rt.template),
  );
  if (!Array.isArray(items)) throw new StepFailure(`items must be a list, got ${typeof items}`, 1);
  if (items.length > step.maxItems) throw new StepFailure(`items has ${items.length} entries, more than maxItems ${step.maxItems}`, 1);
  const results: unknown[] = new Array(items.length);
  let next = 0;
  const scope = new CancellationScope();
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      const item: unknown = items[index];
      const ctx = { ...rt.template, item, index };
      const target: ActionTarget = {
        stepId: step.id,
        stepKey: `${stepKey}[${index}]`,
        index,
        lifecycle: true,
        ...(step.timeout ? { timeout: step.timeout } : {}),
        ...(step.retry ? { retry: step.retry } : {}),
        ...('assert' in step.step && step.step.assert ? { assert: step.step.assert } : {}),
        ...(step.execution ? { execution: step.execution } : {}),
      };
      results[index] = (await runAction(rt, step.step, target, ctx)).output;
    }
  };
  try {
    await scope.run(() => Promise.all(Array.from({ length: Math.min(step.concurrency, items.length) }, worker)));
  } catch (err) {
    scope.cancel();
    throw err;
  }
  return boundItems(results);
}
