import type { EventStore, NewEvent, StoredEvent } from '../domain/events';

/**
 * Approval requests of runs started anywhere (API, console, CLI, chat, a schedule) reach
 * SLACK_APPROVALS_CHANNEL: wrapped around the worker's event store, this starts the run's Slack
 * follower (workflow `slack-run-<runId>`, idempotent by id) when a run's `approval.requested` is
 * appended. The start happens inside the appending activity and before it returns, so a failed
 * start fails the append, which Temporal retries (the append itself is deduplicated): an
 * announcement is never silently lost. Runs started from Slack have their follower already.
 * The same for incidents: `incident.started` starts the card follower (`slack-incident-<id>`).
 */
export interface Followers {
  run?: (runId: string) => Promise<void>;
  incident?: (incidentId: string) => Promise<void>;
}

export function announcingApprovals(store: EventStore, followers: Followers): EventStore {
  return {
    list: (streamId, afterSeq, limit) => store.list(streamId, afterSeq, limit),
    subscribe: (onWake) => store.subscribe(onWake),
    async append(streamId: string, events: NewEvent[]): Promise<StoredEvent[]> {
      const stored = await store.append(streamId, events);
      if (followers.run && streamId.startsWith('run-') && events.some((e) => e.type === 'approval.requested')) await followers.run(streamId);
      if (followers.incident && streamId.startsWith('inc-') && events.some((e) => e.type === 'incident.started')) await followers.incident(streamId);
      return stored;
    },
  };
}
