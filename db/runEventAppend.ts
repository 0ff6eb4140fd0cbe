import { APPROVALS_STREAM_ID, approvalFeedEvents } from '../domain/approvalFeed';
import type { EventStore, NewEvent } from '../domain/events';

/**
 * Appends a batch of a run's events, then their approvals-feed copies (domain/approvalFeed.ts):
 * never a feed entry the run's own stream lacks. The one way every writer of run events stores
 * them: the workflow's emits (`emitRunEvents`), a step that carries a decided gate's events
 * (activities/stepLifecycle.ts), the client that sent a decision (temporal/runClient.ts).
 */
export async function appendRunEvents(store: Pick<EventStore, 'append'>, runId: string, batch: NewEvent[]): Promise<void> {
  await store.append(runId, batch);
  const feed = approvalFeedEvents(runId, batch);
  if (feed.length > 0) await store.append(APPROVALS_STREAM_ID, feed);
}
