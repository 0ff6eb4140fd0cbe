import type { CompensateAction } from '../domain/runbook';
import type { RunRuntime } from './runRuntime';
import { runAction } from './stepActions';

/**
 * Saga-style compensation: completed steps' `compensate` actions run in reverse completion order.
 * Best effort: a failing compensation is reported and the rest still run. Called inside a
 * non-cancellable scope, so cancelling a run cannot interrupt its rollback.
 */
export interface Compensable {
  stepId: string;
  action: CompensateAction;
}

export async function compensate(rt: RunRuntime, completed: readonly Compensable[], reason: string): Promise<void> {
  if (completed.length === 0) return;
  const order = [...completed].reverse();
  rt.setStatus('compensating');
  await rt.emit([{ type: 'compensation.started', key: 'compensation/started', data: { reason, steps: order.map((c) => c.stepId) } }]);
  let failures = 0;
  for (const { stepId, action } of order) {
    try {
      // Templates see every step's output, including the compensated step's own.
      const { output } = await runAction(
        rt,
        action,
        {
          stepId,
          stepKey: `${stepId}:compensate`,
          lifecycle: false,
          retry: { maxAttempts: 5, initialInterval: '1s', backoffCoefficient: 2 },
        },
        rt.template,
      );
      rt.step(stepId).status = 'compensated';
      await rt.emit([{ type: 'compensation.step.succeeded', key: `compensation/${stepId}/succeeded`, data: { stepId, output } }]);
    } catch (err) {
      failures++;
      await rt.emit([{ type: 'compensation.step.failed', key: `compensation/${stepId}/failed`, data: { stepId, error: (err as Error).message } }]);
    }
  }
  rt.state.compensated = failures === 0;
  await rt.emit([{ type: 'compensation.completed', key: 'compensation/completed', data: { failures } }]);
}
