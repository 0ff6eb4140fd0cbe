import type { Entity } from '../model/types';
import { entityValue } from '../nlp/references';
import type { BuiltQuery } from './promqlBuilder';
import { quoteLabel, type TempoVocabulary } from './vocabulary';

/**
 * NL entities → TraceQL. Errors become `status = error`, "slow" a duration bound, a status code an
 * `span.http.status_code` (or the newer `http.response.status_code` when Tempo knows that tag).
 */
export function buildTraceQL(text: string, entities: readonly Entity[], vocab: TempoVocabulary): BuiltQuery {
  const conditions: string[] = [];
  const service = entityValue(entities, 'service');
  if (service) conditions.push(`resource.service.name = ${quoteLabel(service)}`);
  const status = entityValue(entities, 'status_code');
  if (status) {
    const tag = vocab.tags.includes('http.response.status_code') ? 'span.http.response.status_code' : 'span.http.status_code';
    conditions.push(status.endsWith('xx') ? `${tag} >= ${status[0]}00 && ${tag} < ${Number(status[0]) + 1}00` : `${tag} = ${status}`);
  }
  const slow = /\b(slow|slowest|longer than|over)\b/i.test(text);
  const bound = /\b(\d+)\s*(ms|s)\b/i.exec(text);
  if (slow || bound) conditions.push(`duration > ${bound ? `${bound[1]}${bound[2]!.toLowerCase()}` : '500ms'}`);
  if (/\b(errors?|failed|failing|failures?)\b/i.test(text) || (!slow && !bound && !status)) conditions.push('status = error');
  return { query: `{ ${conditions.join(' && ')} }`, description: `${slow ? 'slow' : 'failing'} traces${service ? ` of ${service}` : ''}`, notes: [] };
}
