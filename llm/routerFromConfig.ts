import type { AppConfig } from '../config/env';
import { AnthropicProvider } from './anthropicProvider';
import { LlmRouter } from './llmRouter';
import { OpenAiCompatibleProvider } from './openAiCompatibleProvider';
import type { LlmProvider } from './types';

/**
 * The configured LLM providers, in fallback order, and a router over them. Each caller (chat
 * turns, memory summaries, incident hypotheses) builds its own router, so one caller's failures
 * never open the circuit another depends on.
 */
export type LlmConfig = Pick<
  AppConfig,
  | 'ANTHROPIC_API_KEY'
  | 'ANTHROPIC_BASE_URL'
  | 'ANTHROPIC_MODEL'
  | 'ANTHROPIC_CHEAP_MODEL'
  | 'OPENAI_COMPAT_URL'
  | 'OPENAI_COMPAT_API_KEY'
  | 'OPENAI_COMPAT_MODEL'
  | 'OPENAI_COMPAT_CHEAP_MODEL'
  | 'LLM_TIMEOUT_MS'
  | 'LLM_BREAKER_THRESHOLD'
  | 'LLM_BREAKER_HALF_OPEN_MS'
>;

export function createProviders(config: LlmConfig): LlmProvider[] {
  const providers: LlmProvider[] = [];
  if (config.ANTHROPIC_API_KEY) {
    providers.push(
      new AnthropicProvider({
        apiKey: config.ANTHROPIC_API_KEY,
        ...(config.ANTHROPIC_BASE_URL ? { baseURL: config.ANTHROPIC_BASE_URL } : {}),
        model: config.ANTHROPIC_MODEL,
        ...(config.ANTHROPIC_CHEAP_MODEL ? { cheapModel: config.ANTHROPIC_CHEAP_MODEL } : {}),
        timeoutMs: config.LLM_TIMEOUT_MS,
      }),
    );
  }
  if (config.OPENAI_COMPAT_URL) {
    providers.push(
      new OpenAiCompatibleProvider({
        baseURL: config.OPENAI_COMPAT_URL,
        ...(config.OPENAI_COMPAT_API_KEY ? { apiKey: config.OPENAI_COMPAT_API_KEY } : {}),
        model: config.OPENAI_COMPAT_MODEL,
        ...(config.OPENAI_COMPAT_CHEAP_MODEL ? { cheapModel: config.OPENAI_COMPAT_CHEAP_MODEL } : {}),
        timeoutMs: config.LLM_TIMEOUT_MS,
      }),
    );
  }
  return providers;
}

export function createRouter(config: LlmConfig): LlmRouter {
  return new LlmRouter(createProviders(config), {
    timeoutMs: config.LLM_TIMEOUT_MS,
    breakerThreshold: config.LLM_BREAKER_THRESHOLD,
    halfOpenAfterMs: config.LLM_BREAKER_HALF_OPEN_MS,
    unhealthyForMs: config.LLM_BREAKER_HALF_OPEN_MS,
  });
}
