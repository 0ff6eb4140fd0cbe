import type { Entity } from '../model/types';
import { entityValue } from '../nlp/references';
import type { BuiltQuery } from './promqlBuilder';
import { groundLabel, quoteLabel, type LokiVocabulary } from './vocabulary';

/**
 * NL entities → LogQL: a stream selector on the grounded service/environment labels, then a
 * case-insensitive line filter for the level or status code asked about. Loki refuses a selector
 * with no matcher, so without a service the selector falls back to any value of the label.
 */
const LEVEL_FILTERS: Record<string, string> = {
  error: '(?i)(error|exception|fail|fatal|panic)',
  warn: '(?i)(warn|warning)',
  fatal: '(?i)(fatal|panic)',
  debug: '(?i)debug',
  info: '(?i)info',
};

export function buildLogQL(entities: readonly Entity[], vocab: LokiVocabulary): BuiltQuery {
  const notes: string[] = [];
  const service = entityValue(entities, 'service');
  const env = entityValue(entities, 'environment');
  const svc = groundLabel(
    service,
    vocab.serviceValues,
    vocab.grounded ? (vocab.labels.find((l) => ['service_name', 'service', 'app', 'job'].includes(l)) ?? 'service') : 'service',
  );
  if (service && vocab.grounded && !svc.matched) notes.push(`Loki has no stream for service "${service}"`);
  const matchers = [svc.value ? `${svc.label}=${quoteLabel(svc.value)}` : `${svc.label}=~".+"`];
  if (env) {
    if (!vocab.grounded) matchers.push(`environment=${quoteLabel(env)}`);
    else {
      const e = groundLabel(env, vocab.envValues, 'environment');
      if (e.matched && e.value) matchers.push(`${e.label}=${quoteLabel(e.value)}`);
    }
  }
  let query = `{${matchers.join(', ')}}`;
  const level = entityValue(entities, 'log_level');
  const status = entityValue(entities, 'status_code');
  if (level && LEVEL_FILTERS[level]) query += ` |~ ${quoteLabel(LEVEL_FILTERS[level])}`;
  if (status) query += ` |~ ${quoteLabel(status.endsWith('xx') ? `\\b${status[0]}\\d\\d\\b` : `\\b${status}\\b`)}`;
  return { query, description: `${level ?? 'all'} log lines${service ? ` of ${service}` : ''}`, notes };
}
