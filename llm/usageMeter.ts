import type { TokenUsage } from '../chat/model/types';
import type { LlmUsage } from './types';

/**
 * Tokens → cost, per model, in USD per million tokens. The session workflow adds every turn's
 * usage to its state (chat/model/usage.ts), so the meter survives restarts and continue-as-new;
 * this only prices one call. Unknown models (local servers) cost nothing.
 */
export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
}

export function priceOf(usage: LlmUsage, price: ModelPrice | undefined): TokenUsage {
  const cost = price ? (usage.inputTokens * price.inputPerMTok + usage.outputTokens * price.outputPerMTok) / 1_000_000 : 0;
  return { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costUsd: Number(cost.toFixed(6)), calls: 1 };
}
