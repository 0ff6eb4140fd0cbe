import type { Understanding } from '../model/types';
import type { QueryOutcome } from '../query/queryRunner';
import { entityValue } from '../nlp/references';
import { assumptions, clarify } from './templates';

/**
 * The rule-based answer to a read-only question: each query beside its result, the assumptions
 * made, and a plain statement when there is no data. Never more than a few lines per query.
 */
const LANGUAGE_NAMES = { promql: 'PromQL', logql: 'LogQL', traceql: 'TraceQL' } as const;

function windowText(u: Understanding): string {
  const raw = entityValue(u.entities, 'time_range');
  if (!raw) return 'last 1h';
  try {
    const r = JSON.parse(raw) as { duration?: string; start?: string; end?: string };
    return r.duration ? `last ${r.duration}` : `${r.start} → ${r.end}`;
  } catch {
    return 'last 1h';
  }
}

export function templateAnswer(u: Understanding, outcomes: readonly QueryOutcome[]): string {
  if (u.intent.type === 'GeneralQuery' || u.intent.type === 'Unknown' || outcomes.length === 0) {
    if (u.intent.type === 'GeneralQuery') {
      return 'I can answer that best with a language model, which is not configured. Meanwhile I can query metrics, logs and traces, check service health, start and follow runbooks, and open incidents. Try "p95 latency for checkout over the last hour".';
    }
    return clarify(u.intent.type, u.intent.confidence);
  }
  const env = entityValue(u.entities, 'environment');
  const header = `Here is what I found (${[env, windowText(u)].filter(Boolean).join(', ')})${assumptions(u.entities)}:`;
  const parts = [header];
  for (const o of outcomes) {
    parts.push(`• ${o.description ?? 'result'}\n  ${LANGUAGE_NAMES[o.language]}: ${o.query}`);
    if (!o.ok) parts.push(`  ${o.error ?? 'the query failed'}`);
    else if (o.count === 0) parts.push(`  no data for this query in the window.`);
    else {
      for (const line of o.lines.slice(0, 6)) parts.push(`  ${line}`);
      if (o.count > o.lines.length) parts.push(`  … ${o.count} in total`);
    }
  }
  return parts.join('\n');
}
