import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * A daily LLM token allowance per subject (LLM_DAILY_TOKENS_PER_SUBJECT), across every session
 * and surface the subject uses: one runaway script or a chatty user cannot spend the team's LLM
 * budget. Counted after each call with the provider's reported usage (input + output); checked
 * before the next one, so the call that crosses the line completes and the following ones go to
 * the rule-based path (marked degraded, reason `token_budget`). A 24 h window from the subject's
 * first call of the day; with Redis it is shared by every worker replica (in-process fallback
 * while Redis is down). 0 turns it off.
 */
export class SubjectTokenBudget {
  private readonly limiter?: RateLimiterAbstract;

  constructor(
    readonly tokensPerDay: number,
    redis?: Redis,
    keyPrefix = 'copilot:llm-tokens',
  ) {
    if (tokensPerDay <= 0) return;
    const options = { keyPrefix, points: tokensPerDay, duration: 24 * 3600 };
    const memory = new RateLimiterMemory(options);
    this.limiter = redis ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: memory }) : memory;
  }

  /** False once the subject has used its allowance for the current window. */
  async allows(subject: string): Promise<boolean> {
    if (!this.limiter) return true;
    const state = await this.limiter.get(subject).catch(() => null);
    return !state || state.consumedPoints < this.tokensPerDay;
  }

  async spend(subject: string, tokens: number): Promise<void> {
    if (!this.limiter || tokens <= 0) return;
    await this.limiter.penalty(subject, Math.ceil(tokens)).catch(() => undefined);
  }

  async used(subject: string): Promise<number> {
    if (!this.limiter) return 0;
    return (await this.limiter.get(subject).catch(() => null))?.consumedPoints ?? 0;
  }
}
