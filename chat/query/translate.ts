import type { Entity, GeneratedQuery, IntentType, QueryLanguage } from '../model/types';
import { entityValue } from '../nlp/references';
import { resolveWindow } from '../nlp/timeRange';
import { checkQuery } from './grammar';
import type { Grounding } from './grounding';
import { buildLogQL } from './logqlBuilder';
import { buildPromQL, type BuiltQuery } from './promqlBuilder';
import { buildTraceQL } from './traceqlBuilder';

/**
 * Which query languages an intent needs, the grounded queries, and the grammar verdict on each.
 * Queries proposed by an LLM go through `validated` too: nothing unparseable is ever run.
 */
const LANGUAGES: Partial<Record<IntentType, QueryLanguage[]>> = {
  MetricQuery: ['promql'],
  LogQuery: ['logql'],
  TraceQuery: ['traceql'],
  ServiceHealth: ['promql'],
  AlertInvestigation: ['promql', 'logql'],
};

export function languagesFor(intent: IntentType): QueryLanguage[] {
  return LANGUAGES[intent] ?? [];
}

export function validated(language: QueryLanguage, built: BuiltQuery, window: { start: number; end: number }): GeneratedQuery {
  const check = checkQuery(language, built.query);
  return {
    language,
    query: built.query,
    valid: check.valid,
    ...(check.error ? { error: check.error } : {}),
    description: built.description + (built.notes.length ? ` (${built.notes.join('; ')})` : ''),
    start: window.start,
    end: window.end,
  };
}

export async function translate(text: string, intent: IntentType, entities: readonly Entity[], grounding: Grounding, now: number): Promise<GeneratedQuery[]> {
  const window = resolveWindow(entityValue(entities, 'time_range'), now);
  const out: GeneratedQuery[] = [];
  for (const language of languagesFor(intent)) {
    if (language === 'promql') {
      const withMetric = intent === 'AlertInvestigation' && !entityValue(entities, 'metric') ? [...entities, { type: 'metric' as const, value: 'error_rate' }] : entities;
      const built = buildPromQL(intent, withMetric, await grounding.prometheus(), window.seconds);
      if (built) out.push(validated('promql', built, window));
    } else if (language === 'logql') {
      const withLevel = intent === 'AlertInvestigation' && !entityValue(entities, 'log_level') ? [...entities, { type: 'log_level' as const, value: 'error' }] : entities;
      out.push(validated('logql', buildLogQL(withLevel, await grounding.loki()), window));
    } else {
      out.push(validated('traceql', buildTraceQL(text, entities, await grounding.tempo()), window));
    }
  }
  return out;
}
