import { isFeedStream } from '../domain/approvalFeed';
import type { EventStore, NewEvent, StoredEvent } from '../domain/events';
import { AuditValidationError, digestInputs, type AuditLog, type NewAuditEntry } from './auditLog';

/**
 * Workflow-side actions reach the audit trail through the activity that appends their events:
 * approvals sent as a Temporal signal (each vote, and each refused signal) and actions a chat user
 * confirmed (runs started or cancelled, gate decisions, incident changes). The workflow code stays
 * as it is; the append activity writes the audit row after the events, keyed by the event's dedupe
 * key, so a retried activity writes one row. A transient audit failure fails the append (the
 * activity retries; events are deduplicated); a malformed entry is logged and skipped, because it
 * would never succeed and must not wedge the run.
 */
type Entry = Omit<NewAuditEntry, 'inputDigest' | 'dedupeKey'> & { inputs: unknown; key: string };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

interface Vote {
  approver?: unknown;
  decision?: unknown;
  via?: unknown;
  claimed?: unknown;
  comment?: unknown;
  digest?: unknown;
  bound?: unknown;
}

/** The audit entries one appended event stands for (none for most events). */
export function auditEntriesFor(streamId: string, event: NewEvent): Entry[] {
  const d = event.data;
  switch (event.type) {
    case 'approval.decided': {
      const gate = str(d.gateId) ?? '?';
      const votes = Array.isArray(d.votes) ? (d.votes as Vote[]) : [];
      return votes
        .filter((v) => v.via === 'temporal-signal' || v.via === 'temporal-ui')
        .map((v) => ({
          key: `${event.dedupeKey}/vote/${str(v.approver) ?? '?'}`,
          subject: str(v.approver) ?? 'unknown',
          subjectClaimed: true,
          roles: [],
          surface: 'temporal-signal' as const,
          action: 'approval.decide',
          target: `${streamId}/${gate}`,
          // The plan digest the vote named (null: unbound), so the trail says what exactly was approved.
          inputs: { gateId: gate, decision: v.decision, comment: v.comment ?? null, ...(v.bound !== undefined ? { digest: v.digest ?? null, bound: v.bound } : {}) },
          outcome: 'ok' as const,
          reason: null,
        }));
    }
    case 'approval.refused':
      return [
        {
          key: event.dedupeKey,
          subject: str(d.claimedApprover) ?? 'unknown',
          subjectClaimed: true,
          roles: [],
          surface: 'temporal-signal',
          action: 'approval.decide',
          target: `${streamId}/${str(d.gateId) ?? '?'}`,
          inputs: d,
          outcome: 'refused',
          reason: str(d.reason) ?? str(d.refusal) ?? null,
        },
      ];
    case 'run.paused':
    case 'run.resumed':
      // The API's pause/resume is audited by the middleware; a signal's only here (name claimed).
      if (d.via !== 'temporal-signal') return [];
      return [
        {
          key: event.dedupeKey,
          subject: str(d.by) ?? 'unknown',
          subjectClaimed: true,
          roles: [],
          surface: 'temporal-signal',
          action: event.type === 'run.paused' ? 'run.pause' : 'run.resume',
          target: streamId,
          inputs: { reason: d.reason ?? null, immediate: d.immediate ?? false },
          outcome: 'ok',
          reason: null,
        },
      ];
    case 'action.started':
    case 'action.decided':
    case 'action.cancelling':
    case 'action.paused':
    case 'action.resumed':
    case 'action.incident': {
      const subject = str(d.by) ?? str(d.requestedBy) ?? 'unknown';
      const action =
        event.type === 'action.started'
          ? 'run.start'
          : event.type === 'action.decided'
            ? 'approval.decide'
            : event.type === 'action.cancelling'
              ? 'run.cancel'
              : event.type === 'action.paused'
                ? 'run.pause'
                : event.type === 'action.resumed'
                  ? 'run.resume'
                  : `incident.${str(d.action) ?? 'change'}`;
      const target =
        event.type === 'action.decided'
          ? `${str(d.runId) ?? '?'}/${str(d.gateId) ?? '?'}`
          : event.type === 'action.incident'
            ? (str(d.incidentId) ?? null)
            : (str(d.runId) ?? null);
      return [
        { key: event.dedupeKey, subject, subjectClaimed: false, roles: [], surface: 'chat', action, target, inputs: { session: streamId, ...d }, outcome: 'ok', reason: null },
      ];
    }
    default:
      return [];
  }
}

export function auditedEventStore(store: EventStore, audit: AuditLog, log?: (message: string, err: unknown) => void): EventStore {
  return {
    list: (streamId, afterSeq, limit) => store.list(streamId, afterSeq, limit),
    subscribe: (onWake) => store.subscribe(onWake),
    async append(streamId: string, events: NewEvent[]): Promise<StoredEvent[]> {
      const stored = await store.append(streamId, events);
      // The approvals feed copies run events already audited on the run's own stream.
      if (isFeedStream(streamId)) return stored;
      for (const event of events) {
        for (const { key, inputs, ...entry } of auditEntriesFor(streamId, event)) {
          try {
            await audit.append({ ...entry, inputDigest: digestInputs(inputs), dedupeKey: `${streamId}/${key}`.slice(0, 500) });
          } catch (err) {
            if (!(err instanceof AuditValidationError)) throw err;
            log?.('audit entry refused; skipped', err);
          }
        }
      }
      return stored;
    },
  };
}
