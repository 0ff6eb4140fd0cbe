import { isFeedStream } from '../domain/approvalFeed';
import type { EventStore, NewEvent, StoredEvent } from '../domain/events';
import { approvalGateExpiry, approvalWait, runDuration, runsFinished, runsStarted } from './metrics';

/**
 * Run, gate and approval metrics read off the events the workflows append, so the workflow code
 * stays free of metric calls and every worker replica reports the runs it drives. A terminal event
 * may be appended by a different replica than run.started (runs last days), so the runbook name and
 * start time come from the stream's first event, not from memory. An event appended again (an
 * activity retried after its append committed; a decided gate's events, which the next step's
 * activity carries and the step's failure stores again) is counted once per worker process: the
 * metered store remembers the keys it counted. Only a repeat on another replica counts twice.
 */
const TERMINAL: Record<string, string> = { 'run.completed': 'succeeded', 'run.failed': 'failed', 'run.cancelled': 'cancelled' };

async function runStartOf(store: EventStore, streamId: string): Promise<{ runbook: string; startedAt: number } | undefined> {
  const [first] = await store.list(streamId, 0, 1);
  if (!first || first.type !== 'run.started' || typeof first.data.runbook !== 'string') return undefined;
  return { runbook: first.data.runbook, startedAt: Date.parse(first.createdAt) };
}

export async function observeRunEvents(store: EventStore, streamId: string, events: readonly NewEvent[], now = Date.now()): Promise<void> {
  for (const event of events) {
    const data = event.data;
    if (event.type === 'run.started' && typeof data.runbook === 'string') {
      runsStarted.inc({ runbook: data.runbook });
    } else if (event.type in TERMINAL) {
      const start = await runStartOf(store, streamId);
      const labels = { runbook: start?.runbook ?? 'unknown', status: TERMINAL[event.type]! };
      runsFinished.inc(labels);
      if (start && Number.isFinite(start.startedAt)) runDuration.observe(labels, Math.max(0, (now - start.startedAt) / 1000));
    } else if (event.type === 'approval.requested' && typeof data.gateId === 'string' && typeof data.expiresAt === 'string') {
      const expires = Date.parse(data.expiresAt);
      if (Number.isFinite(expires)) approvalGateExpiry.set({ run_id: streamId, gate: data.gateId }, expires / 1000);
    } else if (event.type === 'approval.decided' && typeof data.gateId === 'string') {
      approvalGateExpiry.remove({ run_id: streamId, gate: data.gateId });
      const requestedAt = typeof data.requestedAt === 'string' ? Date.parse(data.requestedAt) : NaN;
      if (Number.isFinite(requestedAt)) approvalWait.observe({ outcome: typeof data.status === 'string' ? data.status : 'unknown' }, Math.max(0, (now - requestedAt) / 1000));
    }
  }
}

/** The events observeRunEvents counts; only their keys need remembering. */
function counted(type: string): boolean {
  return type === 'run.started' || type in TERMINAL || type === 'approval.requested' || type === 'approval.decided';
}

/** Keys remembered per process: far more than the events counted while any one of them can be appended again. */
const REMEMBERED_KEYS = 10_000;

/** The worker's event store: appends as before, then observes what was appended. Metrics never fail an append. */
export function meteredEventStore(store: EventStore, remembered = REMEMBERED_KEYS): EventStore {
  const seen = new Set<string>();
  const firstTime = (event: NewEvent) => {
    if (!counted(event.type)) return false;
    if (seen.has(event.dedupeKey)) return false;
    seen.add(event.dedupeKey);
    // Oldest first: a Set iterates in insertion order.
    if (seen.size > remembered) seen.delete(seen.values().next().value!);
    return true;
  };
  return {
    list: (streamId, afterSeq, limit) => store.list(streamId, afterSeq, limit),
    subscribe: (onWake) => store.subscribe(onWake),
    async append(streamId: string, events: NewEvent[]): Promise<StoredEvent[]> {
      const stored = await store.append(streamId, events);
      // Feed streams (the approvals feed) hold copies of run events already counted on the run's stream.
      if (isFeedStream(streamId)) return stored;
      const fresh = events.filter(firstTime);
      if (fresh.length > 0) await observeRunEvents(store, streamId, fresh).catch(() => undefined);
      return stored;
    },
  };
}
