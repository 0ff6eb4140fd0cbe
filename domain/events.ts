import { z } from 'zod';

/** Progress events of a run, in the order a client sees them over SSE. */
export const RUN_EVENT_TYPES = [
  'run.started',
  'step.started',
  'step.log',
  'step.retrying',
  'step.succeeded',
  'step.failed',
  'step.skipped',
  'step.cancelled',
  'run.paused',
  'run.resumed',
  'approval.requested',
  'approval.reminder',
  'approval.escalated',
  'approval.decided',
  'approval.refused',
  'approval.replanned',
  'compensation.started',
  'compensation.step.succeeded',
  'compensation.step.failed',
  'compensation.completed',
  'run.completed',
  'run.failed',
  'run.cancelled',
] as const;
export const RunEventType = z.enum(RUN_EVENT_TYPES);
export type RunEventType = z.infer<typeof RunEventType>;

export const TERMINAL_EVENT_TYPES: readonly string[] = ['run.completed', 'run.failed', 'run.cancelled'];

/** An event to append. `dedupeKey` is derived from run id + step id + attempt, so a retried activity
 * that appends the same event again is a no-op. */
export interface NewEvent {
  type: string;
  data: Record<string, unknown>;
  dedupeKey: string;
}

/** An event as stored: `seq` is a gapless per-stream sequence starting at 1 (the SSE `id`). */
export interface StoredEvent {
  streamId: string;
  seq: number;
  type: string;
  data: Record<string, unknown>;
  createdAt: string;
}

/**
 * The durable, ordered per-stream event log (a stream is a run today; chat sessions and incidents
 * later). Implementation: db/eventStore.ts over Postgres and PGlite.
 */
export interface EventStore {
  /** Appends in order; events whose dedupeKey already exists are skipped. Returns the stored events
   * (the existing ones for duplicates). Wakes subscribers after commit. */
  append(streamId: string, events: NewEvent[]): Promise<StoredEvent[]>;
  /** Events with seq > afterSeq, ascending, at most `limit`. */
  list(streamId: string, afterSeq: number, limit?: number): Promise<StoredEvent[]>;
  /** Called with a stream id whenever that stream may have new events (LISTEN/NOTIFY). Returns an unsubscribe. */
  subscribe(onWake: (streamId: string) => void): Promise<() => Promise<void>>;
}
