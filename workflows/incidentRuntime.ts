import { patched, proxyActivities, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { shrinkEventData } from '../domain/eventPayload';
import { PERMANENT_FAILURE, PERMANENT_FAILURE_TYPES, permanentFailureOf } from '../domain/failureTypes';
import type { IncidentActivities } from '../incidents/incidentActivities';
import type { IncidentInput, IncidentState, QueryRecord, Signal } from '../incidents/types';
export { initialState } from '../incidents/initialState';
import { RunStatusKey } from '../temporal/searchAttributes';

/**
 * The state of one investigation inside the workflow, and its two outlets: events (local activity,
 * deduplicated by key) and the Postgres projection (saved after every change, with a version so
 * an older snapshot never wins). History holds query references and summaries, never bodies.
 */
export const MAX_QUERIES_KEPT = 300;
export const MAX_SIGNALS_KEPT = 200;

const local = proxyLocalActivities<IncidentActivities>({
  startToCloseTimeout: '30s',
  // Unlimited attempts for outages; never for a value the store refused (activities classify those too).
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s', nonRetryableErrorTypes: [...PERMANENT_FAILURE_TYPES] },
});

export const acts = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '2m',
  // Gathers heartbeat every second: a dead worker's attempt is retried after 5 s, not 2 min.
  heartbeatTimeout: '5s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

/** The LLM step never throws; one retry covers a worker lost mid-call. */
export const llmActs = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 2 },
});

export class IncidentRuntime {
  constructor(
    readonly input: IncidentInput,
    readonly s: IncidentState,
  ) {}

  /**
   * `shrink: false` for human input (notes, feedback): an oversized one is rejected
   * (incident.note.rejected) rather than stored cut, so its author knows it did not land whole.
   */
  async emit(type: string, key: string, data: Record<string, unknown>, options: { shrink?: boolean } = {}): Promise<void> {
    const id = this.input.incidentId;
    const event = { type, data: { incidentId: id, ...data }, dedupeKey: `${id}/${key}` };
    try {
      await local.emitIncidentEvents(id, [event]);
    } catch (err) {
      // Over the store's cap: store it with oversized fields cut instead of failing the incident.
      // Reachable only since that failure is non-retryable; the patch keeps older histories replaying.
      if (options.shrink === false || permanentFailureOf(err)?.type !== PERMANENT_FAILURE.eventTooLarge || !patched('incident-event-too-large-shrinks')) throw err;
      await local.emitIncidentEvents(id, [{ ...event, data: shrinkEventData(event.data) }]);
    }
  }

  async save(): Promise<void> {
    this.s.version += 1;
    await local.saveIncident(this.s);
  }

  /** The incident manager being down must never stop the investigation: record and move on. */
  async notify(change: 'create' | 'update' | 'acknowledge' | 'resolve'): Promise<void> {
    try {
      await acts.notifyIncidentManager(change, this.s);
    } catch (err) {
      await this.emit('incident.notify.failed', `notify/${change}/${this.s.rounds}`, { change, error: (err as Error).message });
    }
  }

  setStatus(status: IncidentState['status']): void {
    this.s.status = status;
    // RunStatus doubles as the generic status attribute so the Temporal UI can filter incidents too.
    upsertSearchAttributes([{ key: RunStatusKey, value: status }]);
  }

  addQueries(queries: QueryRecord[]): void {
    this.s.queries.push(...queries);
    this.s.budget.queriesUsed += queries.length;
    // Oldest first out: the full list stays in incident_evidence.
    if (this.s.queries.length > MAX_QUERIES_KEPT) this.s.queries.splice(0, this.s.queries.length - MAX_QUERIES_KEPT);
  }

  addSignals(signals: Signal[]): void {
    this.s.signals.push(...signals);
    if (this.s.signals.length > MAX_SIGNALS_KEPT) this.s.signals.splice(0, this.s.signals.length - MAX_SIGNALS_KEPT);
  }

  /** Alerts firing right now (the incident's group); resolved ones are kept for the record. */
  firing(): number {
    return this.s.alerts.filter((a) => a.status === 'firing').length;
  }
}
