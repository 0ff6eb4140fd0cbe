import { proxyActivities, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
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
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
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

  async emit(type: string, key: string, data: Record<string, unknown>): Promise<void> {
    const id = this.input.incidentId;
    await local.emitIncidentEvents(id, [{ type, data: { incidentId: id, ...data }, dedupeKey: `${id}/${key}` }]);
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
