import type { IncidentInput, IncidentState } from './types';

/** The state of a new incident (pure: used by the workflow and by the API's first projection row). */
export function initialState(input: IncidentInput): IncidentState {
  return {
    incidentId: input.incidentId,
    title: input.title,
    ...(input.service ? { service: input.service } : {}),
    severity: input.severity,
    status: 'investigating',
    source: input.source,
    labels: input.labels,
    startedAt: input.startedAt,
    rounds: 0,
    rechecks: 0,
    hypotheses: [],
    queries: [],
    missing: [],
    notes: [],
    actions: [],
    alerts: input.alerts,
    budget: { queriesUsed: 0, queryLimit: input.queryLimit, tokensUsed: 0, tokenLimit: input.tokenLimit ?? 0 },
    signals: [],
    reportReady: false,
    version: 0,
  };
}
