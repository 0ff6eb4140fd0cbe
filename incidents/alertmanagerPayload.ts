import { z } from 'zod';
import type { AlertRef, IncidentSeverity } from './types';

/**
 * Alertmanager's webhook body, version 4
 * (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). Unknown fields are
 * allowed: Alertmanager adds fields across versions and a webhook must not break on them.
 */
const Labels = z.record(z.string(), z.string());

export const AlertmanagerAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: Labels,
  annotations: Labels.default({}),
  startsAt: z.string().min(1),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1).max(200),
});

export const AlertmanagerPayload = z.object({
  version: z.literal('4'),
  groupKey: z.string().min(1).max(2000),
  truncatedAlerts: z.number().int().optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: Labels.default({}),
  commonLabels: Labels.default({}),
  commonAnnotations: Labels.default({}),
  externalURL: z.string().optional(),
  alerts: z.array(AlertmanagerAlert).min(1).max(1000),
});
export type AlertmanagerPayload = z.infer<typeof AlertmanagerPayload>;

/** Prometheus links an alert to its expression: `…/graph?g0.expr=<urlencoded expr>&g0.tab=1`. */
export function exprFromGeneratorUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const expr = new URL(url).searchParams.get('g0.expr');
    return expr && expr.length <= 2000 ? expr : undefined;
  } catch {
    return undefined;
  }
}

export function toAlertRefs(payload: AlertmanagerPayload): AlertRef[] {
  return payload.alerts.map((a) => {
    const expr = exprFromGeneratorUrl(a.generatorURL);
    return {
      fingerprint: a.fingerprint,
      alertname: a.labels.alertname ?? 'unknown',
      status: a.status,
      startsAt: a.startsAt,
      ...(a.endsAt && !a.endsAt.startsWith('0001-') ? { endsAt: a.endsAt } : {}),
      labels: a.labels,
      ...(expr ? { expr } : {}),
    };
  });
}

/**
 * The service an alert is about. Real rules rarely carry a `service` label: the scrape's `job`, a
 * Kubernetes `app`/`app_kubernetes_io_name` or an OTel `service_name` name it as often. Capped
 * and limited to DNS-label-like values (it reaches selectors and runbook proposals).
 */
const SERVICE_LABELS = ['service', 'service_name', 'app_kubernetes_io_name', 'app', 'job'] as const;

export function serviceOf(labels: Record<string, string>): string | undefined {
  for (const name of SERVICE_LABELS) {
    const v = labels[name];
    if (v && /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(v)) return v;
  }
  return undefined;
}

const SEVERITIES: Record<string, IncidentSeverity> = {
  critical: 'critical',
  page: 'critical',
  high: 'high',
  error: 'high',
  major: 'high',
  warning: 'warning',
  warn: 'warning',
  info: 'info',
  low: 'info',
};

export function severityOf(labels: Record<string, string>): IncidentSeverity {
  return SEVERITIES[(labels.severity ?? '').toLowerCase()] ?? 'warning';
}

/** Title from the common summary annotation, else the alert name(s). Untrusted text: capped. */
export function titleOf(payload: AlertmanagerPayload): string {
  const summary = payload.commonAnnotations.summary;
  const names = [...new Set(payload.alerts.map((a) => a.labels.alertname ?? 'alert'))].join(', ');
  return (summary ? `${names}: ${summary}` : names).slice(0, 300);
}
