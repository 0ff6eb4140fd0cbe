import type { Entity, IntentType } from '../model/types';
import { entityValue } from '../nlp/references';
import { ENV_LABELS, groundLabel, quoteLabel, SERVICE_LABELS, type PromVocabulary } from './vocabulary';

/**
 * NL entities → PromQL. Metric names and labels come from the grounded vocabulary when Prometheus
 * answered (so "latency" becomes whatever histogram this Prometheus really has); otherwise from
 * the OpenTelemetry/Prometheus conventions. The caller parses the result with the grammar.
 */
export interface BuiltQuery {
  query: string;
  description: string;
  notes: string[];
}

function pick(vocab: PromVocabulary, fallback: string, test: (name: string) => boolean, score: (name: string) => number): string {
  if (!vocab.grounded) return fallback;
  const candidates = vocab.metrics.filter(test);
  if (candidates.length === 0) return fallback;
  return candidates.sort((a, b) => score(b) - score(a) || a.length - b.length)[0]!;
}

const httpScore = (n: string) => (/http/.test(n) ? 2 : 0) + (/request/.test(n) ? 1 : 0) + (/server/.test(n) ? 1 : 0);

export function rateWindow(seconds: number): string {
  if (seconds <= 15 * 60) return '1m';
  if (seconds <= 6 * 3600) return '5m';
  return '15m';
}

export function buildPromQL(intent: IntentType, entities: readonly Entity[], vocab: PromVocabulary, windowSeconds: number): BuiltQuery | undefined {
  const notes: string[] = [];
  const service = entityValue(entities, 'service');
  const env = entityValue(entities, 'environment');
  const metricWord = entityValue(entities, 'metric') ?? (intent === 'ServiceHealth' || intent === 'AlertInvestigation' ? 'availability' : undefined);
  if (!metricWord) return undefined;

  const matchers: string[] = [];
  const svc = groundLabel(service, pickValues(vocab.serviceValues), 'service');
  if (svc.value) matchers.push(`${svc.label}=${quoteLabel(svc.value)}`);
  if (service && vocab.grounded && !svc.matched) notes.push(`no series has a service called "${service}"`);
  if (env) {
    const envLabels = pickValues(vocab.envValues);
    if (!vocab.grounded) matchers.push(`environment=${quoteLabel(env)}`);
    else if (Object.keys(envLabels).length > 0) {
      const e = groundLabel(env, envLabels, 'environment');
      if (e.matched && e.value) matchers.push(`${e.label}=${quoteLabel(e.value)}`);
      else notes.push(`environment "${env}" is not a label value here; not filtered`);
    } else notes.push(`this Prometheus has no environment label; not filtered by "${env}"`);
  }
  const status = entityValue(entities, 'status_code');
  const window = rateWindow(windowSeconds);
  const sel = (extra: string[] = []) => `{${[...matchers, ...extra].join(', ')}}`;
  const who = service ? ` of ${service}` : '';

  switch (metricWord) {
    case 'latency': {
      const q = Number(entityValue(entities, 'percentile') ?? '0.95');
      const m = pick(vocab, 'http_request_duration_seconds_bucket', (n) => n.endsWith('_bucket') && /(duration|latency)/.test(n), httpScore);
      return { query: `histogram_quantile(${q}, sum by (le) (rate(${m}${sel()}[${window}])))`, description: `p${Math.round(q * 1000) / 10} latency${who}`, notes };
    }
    case 'error_rate': {
      const m = pick(vocab, 'http_requests_total', (n) => n.endsWith('_total') && /requests?/.test(n), httpScore);
      const codeLabel =
        vocab.grounded && !vocab.labels.includes('code') && vocab.labels.includes('status')
          ? 'status'
          : vocab.grounded && vocab.labels.includes('status_code') && !vocab.labels.includes('code')
            ? 'status_code'
            : 'code';
      const errorMatcher = status ? (status.endsWith('xx') ? `${codeLabel}=~"${status[0]}.."` : `${codeLabel}="${status}"`) : `${codeLabel}=~"5.."`;
      return {
        query: `sum(rate(${m}${sel([errorMatcher])}[${window}])) / sum(rate(${m}${sel()}[${window}]))`,
        description: `error ratio${who}${status ? ` (${status})` : ''}`,
        notes,
      };
    }
    case 'request_rate': {
      const m = pick(vocab, 'http_requests_total', (n) => n.endsWith('_total') && /requests?/.test(n), httpScore);
      return { query: `sum(rate(${m}${sel()}[${window}]))`, description: `requests per second${who}`, notes };
    }
    case 'cpu': {
      const m = pick(
        vocab,
        'process_cpu_seconds_total',
        (n) => /cpu.*seconds_total$/.test(n),
        (n) => (n.startsWith('container_') ? 2 : n.startsWith('process_') ? 1 : 0),
      );
      return { query: `sum(rate(${m}${sel()}[${window}]))`, description: `CPU cores used${who}`, notes };
    }
    case 'memory': {
      const m = pick(
        vocab,
        'process_resident_memory_bytes',
        (n) => /(resident_memory_bytes|memory_working_set_bytes)$/.test(n),
        (n) => (n.startsWith('container_') ? 2 : 1),
      );
      return { query: `sum(${m}${sel()})`, description: `memory in bytes${who}`, notes };
    }
    case 'saturation':
    case 'availability':
    default:
      return { query: `avg(up${sel()})`, description: `share of targets up${who}`, notes };
  }
}

/** Only the candidate labels, in preference order (the vocabulary may hold others). */
function pickValues(values: Record<string, string[]>): Record<string, string[]> {
  const order = [...SERVICE_LABELS, ...ENV_LABELS];
  const out: Record<string, string[]> = {};
  for (const label of order) if (values[label]) out[label] = values[label];
  return out;
}
