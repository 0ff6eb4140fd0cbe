import { TERMINAL_EVENT_TYPES, type NewEvent } from './events';

/**
 * The approvals feed: one durable stream in the event log that tells every open console (and any
 * other SSE client of GET /api/v1/approvals/events) that an approval opened, was decided (from the
 * API, chat, the CLI or a Temporal UI signal alike), or went away with its run. The run's own
 * `approval.*` events and its terminal event are copied here by the activity that stores them, with
 * dedupe keys derived from the run's, so a retried activity never copies twice.
 */
export const APPROVALS_STREAM_ID = 'feed:approvals';

/** Feed streams hold copies of other streams' events: nothing in them is an action of its own (no audit row). */
export function isFeedStream(streamId: string): boolean {
  return streamId.startsWith('feed:');
}

/** Which of a run's events belong in the feed. */
export function isApprovalFeedEvent(type: string): boolean {
  return type.startsWith('approval.') || TERMINAL_EVENT_TYPES.includes(type);
}

/** The feed's copies of a batch of run events: data gains the run id; the dedupe key is the run's, prefixed with it. */
export function approvalFeedEvents(runId: string, batch: readonly NewEvent[]): NewEvent[] {
  return batch
    .filter((event) => isApprovalFeedEvent(event.type))
    .map((event) => ({
      type: event.type,
      data: { ...event.data, runId },
      dedupeKey: `${runId}/${event.dedupeKey}`,
    }));
}
