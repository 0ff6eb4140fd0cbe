import { topHypothesis } from '../heuristics/hypotheses';
import type { IncidentSeverity, IncidentState } from '../types';
import { postJson, type PostOptions, type IncidentChange, type IncidentNotifier } from './incidentNotifier';

/**
 * PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/):
 * `trigger` on create and update (same `dedup_key` = incident id, so PagerDuty updates one alert),
 * `acknowledge` on the first human action, `resolve` on resolution. POST to PAGERDUTY_EVENTS_URL (default https://events.pagerduty.com/v2/enqueue).
 */
const SEVERITY: Record<IncidentSeverity, 'critical' | 'error' | 'warning' | 'info'> = {
  critical: 'critical',
  high: 'error',
  warning: 'warning',
  info: 'info',
};

export class PagerDutyNotifier implements IncidentNotifier {
  readonly name = 'pagerduty';
  constructor(
    private readonly routingKey: string,
    private readonly eventsUrl = 'https://events.pagerduty.com/v2/enqueue',
    private readonly post: PostOptions = {},
  ) {}

  async notify(change: IncidentChange, s: IncidentState): Promise<void> {
    if (change === 'resolve' || change === 'acknowledge') {
      await postJson(this.eventsUrl, { routing_key: this.routingKey, event_action: change, dedup_key: s.incidentId }, this.post);
      return;
    }
    const top = topHypothesis(s.hypotheses);
    await postJson(
      this.eventsUrl,
      {
        routing_key: this.routingKey,
        event_action: 'trigger',
        dedup_key: s.incidentId,
        payload: {
          summary: s.title.slice(0, 1024),
          source: s.service ?? top?.service ?? 'copilot',
          severity: SEVERITY[s.severity],
          component: s.service ?? top?.service,
          class: 'incident',
          custom_details: {
            status: s.status,
            hypothesis: top ? `${top.statement} (confidence ${top.confidence})` : 'investigating',
            queries: s.budget.queriesUsed,
          },
        },
        client: 'copilot',
      },
      this.post,
    );
  }
}
