import type { EventStore, NewEvent, StoredEvent } from '../../domain/events';
import { approvalWait, runsStarted } from '../../observability/metrics';
import { meteredEventStore } from '../../observability/runEventMetrics';

/**
 * The worker's metered event store counts an event once, however often it is appended: a decided
 * gate's approval.decided goes with the next step's activity and, when that step fails, again with
 * its step.failed (workflows/README.md `approval-decided-with-next-step`); a retried activity
 * repeats its append. A store that keeps every event (duplicates skipped by key) stands in for the
 * database: the metrics only read what the append was given.
 */
function keepingStore(): EventStore {
  const streams = new Map<string, StoredEvent[]>();
  return {
    async append(streamId: string, events: NewEvent[]) {
      const stream = streams.get(streamId) ?? [];
      streams.set(streamId, stream);
      return events.map((e) => {
        const existing = stream.find((s) => s.data.__key === e.dedupeKey);
        if (existing) return existing;
        const stored = { streamId, seq: stream.length + 1, type: e.type, data: { ...e.data, __key: e.dedupeKey }, createdAt: new Date().toISOString() };
        stream.push(stored);
        return stored;
      });
    },
    list: async (streamId, afterSeq, limit = 1000) => (streams.get(streamId) ?? []).filter((e) => e.seq > afterSeq).slice(0, limit),
    subscribe: async () => async () => undefined,
  };
}

const waits = async (outcome: string) =>
  (await approvalWait.get()).values.find((v) => v.metricName === 'copilot_approval_wait_seconds_count' && v.labels.outcome === outcome)?.value ?? 0;
const starts = async (runbook: string) => (await runsStarted.get()).values.find((v) => v.labels.runbook === runbook)?.value ?? 0;

const decided = (runId: string): NewEvent => ({
  type: 'approval.decided',
  data: { runId, gateId: 'gate', status: 'approved', requestedAt: new Date(Date.now() - 1000).toISOString() },
  dedupeKey: `${runId}/approval/gate/decided`,
});

test('an approval.decided appended again (carried by a step, then with its step.failed) is counted once', async () => {
  const store = meteredEventStore(keepingStore());
  const before = await waits('approved');
  await store.append('run-a', [decided('run-a'), { type: 'step.started', data: { stepId: 'next' }, dedupeKey: 'run-a/next/1/started' }]);
  await store.append('run-a', [decided('run-a'), { type: 'step.failed', data: { stepId: 'next' }, dedupeKey: 'run-a/next/failed' }]);
  expect((await waits('approved')) - before).toBe(1);
  // Another run's decision is its own.
  await store.append('run-b', [decided('run-b')]);
  expect((await waits('approved')) - before).toBe(2);
});

test('the remembered keys are bounded: the oldest is forgotten first', async () => {
  const store = meteredEventStore(keepingStore(), 2);
  const started = (runId: string): NewEvent => ({ type: 'run.started', data: { runbook: 'bounded' }, dedupeKey: `${runId}/run.started` });
  const before = await starts('bounded');
  for (const runId of ['r1', 'r2', 'r3']) await store.append(runId, [started(runId)]);
  await store.append('r3', [started('r3')]); // remembered: not counted again
  await store.append('r1', [started('r1')]); // forgotten (only two remembered): counted again
  expect((await starts('bounded')) - before).toBe(4);
});
