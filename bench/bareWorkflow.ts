import { proxyActivities } from '@temporalio/workflow';

/** The baseline: a bare Temporal workflow running N no-op activities one after another. */
const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '30s' });

export async function bareNoops(count: number): Promise<number> {
  for (let i = 0; i < count; i++) await noop();
  return count;
}
