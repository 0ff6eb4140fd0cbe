import { topHypothesis } from '../heuristics/hypotheses';
import type { IncidentState } from '../types';
import { postJson, type PostOptions, type IncidentChange, type IncidentNotifier } from './incidentNotifier';

/**
 * A generic JSON webhook (INCIDENT_WEBHOOK_URL): `{ event, incidentId, title, severity, status,
 * service, topHypothesis, link }`, with an `Idempotency-Key` of incident + event + status so a
 * receiver can drop repeats.
 */
export class WebhookNotifier implements IncidentNotifier {
  readonly name = 'webhook';
  constructor(
    private readonly url: string,
    private readonly post: PostOptions = {},
  ) {}

  async notify(change: IncidentChange, s: IncidentState): Promise<void> {
    const top = topHypothesis(s.hypotheses);
    await postJson(
      this.url,
      {
        event: `incident.${change}`,
        incidentId: s.incidentId,
        title: s.title,
        severity: s.severity,
        status: s.status,
        service: s.service ?? top?.service ?? null,
        topHypothesis: top ? { service: top.service, statement: top.statement, confidence: top.confidence } : null,
        link: `/api/v1/incidents/${s.incidentId}`,
      },
      { ...this.post, headers: { 'idempotency-key': `${s.incidentId}:${change}:${s.rounds}:${s.rechecks}` } },
    );
  }
}
