import type { AppConfig } from '../../config/env';
import { NlpEngine } from '../../chat/nlp/nlpEngine';
import { Grounding } from '../../chat/query/grounding';
import { providerRouters } from '../providerRouters';
import type { LlmConfig } from '../../llm/routerFromConfig';
import { canonical, NOW, RUNBOOKS } from './evaluateUnderstanding';
import type { Utterance } from './utterance';

/**
 * The LLM path of the understanding, per configured provider: each provider alone behind its own
 * router (no fallback to another provider), the same NlpEngine the chat uses. A message the LLM
 * could not answer falls back to the rules (`degraded`): counted apart, so the figure is the
 * model's, not the rules'.
 */
export interface LlmUnderstandingRow {
  provider: string;
  n: number;
  answeredByLlm: number;
  degraded: number;
  accuracy: number;
  f1: number;
}

export async function scoreLlmUnderstanding(
  config: LlmConfig & Pick<AppConfig, 'LLM_TIMEOUT_MS' | 'LLM_BREAKER_THRESHOLD' | 'LLM_BREAKER_HALF_OPEN_MS'>,
  set: readonly Utterance[],
): Promise<LlmUnderstandingRow[]> {
  const rows: LlmUnderstandingRow[] = [];
  for (const { provider, router } of providerRouters(config)) {
    const engine = new NlpEngine({ grounding: new Grounding({}), router, runbooks: () => RUNBOOKS });
    let right = 0;
    let llm = 0;
    let degraded = 0;
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const [text, want, labels] of set) {
      const u = await engine.parse(text, { now: NOW });
      if (u.source === 'llm') llm++;
      if (u.degraded) degraded++;
      if (u.source !== 'llm') continue;
      if (u.intent.type === want) right++;
      const got = new Set(u.entities.filter((e) => !e.fromFocus).map(canonical));
      const wanted = new Set(labels.split(' ').filter(Boolean));
      for (const g of got) {
        if (wanted.has(g)) tp++;
        else fp++;
      }
      for (const w of wanted) if (!got.has(w)) fn++;
    }
    const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
    const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
    rows.push({
      provider: provider.name,
      n: set.length,
      answeredByLlm: llm,
      degraded,
      accuracy: llm ? right / llm : 0,
      f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    });
  }
  return rows;
}
