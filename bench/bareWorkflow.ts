import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

/** The baseline: a bare Temporal workflow running N no-op activities one after another. */
const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '30s' });

export async function bareNoops(count: number): Promise<number> {
  for (let i = 0; i < count; i++) await noop();
  return count;
}

const { noop: localNoop } = proxyLocalActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '30s' });

/** The same N no-op activities as local activities: Temporal's floor for a sequence of short steps in one workflow task. */
export async function bareLocalNoops(count: number): Promise<number> {
  for (let i = 0; i < count; i++) await localNoop();
  return count;
}
