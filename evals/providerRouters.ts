import type { AppConfig } from '../config/env';
import { LlmRouter } from '../llm/llmRouter';
import type { LlmProvider } from '../llm/types';
import { createProviders, type LlmConfig } from '../llm/routerFromConfig';

export type EvalLlmConfig = LlmConfig & Pick<AppConfig, 'LLM_TIMEOUT_MS' | 'LLM_BREAKER_THRESHOLD' | 'LLM_BREAKER_HALF_OPEN_MS'>;

/** One router per configured provider, holding only that provider: the evals score each model alone, never a fallback to another. */
export function providerRouters(config: EvalLlmConfig): { provider: LlmProvider; router: LlmRouter }[] {
  return createProviders(config).map((provider) => ({
    provider,
    router: new LlmRouter([provider], {
      timeoutMs: config.LLM_TIMEOUT_MS,
      breakerThreshold: config.LLM_BREAKER_THRESHOLD,
      halfOpenAfterMs: config.LLM_BREAKER_HALF_OPEN_MS,
      unhealthyForMs: config.LLM_BREAKER_HALF_OPEN_MS,
    }),
  }));
}
