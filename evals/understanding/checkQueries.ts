import type { PrometheusClient } from '../../adapters/prometheusClient';
import { understandWithRules } from '../../chat/nlp/ruleEngine';
import type { Grounding } from '../../chat/query/grounding';
import { translate } from '../../chat/query/translate';
import { NOW, RUNBOOKS } from './evaluateUnderstanding';
import type { Utterance } from './utterance';

/**
 * Every query the rules path generates for a labelled set: parsed with the official grammar
 * (translate does it), and each PromQL one executed against a real Prometheus (instant query).
 */
export interface QueryCheck {
  generated: number;
  invalid: { text: string; query: string; error?: string }[];
  promqlRun: number;
  promqlFailed: { text: string; query: string; error: string }[];
}

export async function checkGeneratedQueries(set: readonly Utterance[], grounding: Grounding, prometheus?: PrometheusClient): Promise<QueryCheck> {
  const out: QueryCheck = { generated: 0, invalid: [], promqlRun: 0, promqlFailed: [] };
  for (const [text] of set) {
    const u = understandWithRules(text, { now: NOW, runbooks: RUNBOOKS });
    for (const q of await translate(text, u.intent.type, u.entities, grounding, Date.now())) {
      out.generated++;
      if (!q.valid) {
        out.invalid.push({ text, query: q.query, ...(q.error ? { error: q.error } : {}) });
        continue;
      }
      if (q.language !== 'promql' || !prometheus) continue;
      out.promqlRun++;
      try {
        await prometheus.instant(q.query);
      } catch (err) {
        out.promqlFailed.push({ text, query: q.query, error: (err as Error).message });
      }
    }
  }
  return out;
}
