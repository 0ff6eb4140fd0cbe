import type { TokenUsage } from './types';

/** Token/cost arithmetic the session workflow does on its state (pure). */
export const EMPTY_USAGE: TokenUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: Number((a.costUsd + b.costUsd).toFixed(6)),
    calls: a.calls + b.calls,
  };
}
