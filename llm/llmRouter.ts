import { CircuitState, ConsecutiveBreaker, TimeoutStrategy, circuitBreaker, handleWhen, timeout, wrap, type CircuitBreakerPolicy, type IPolicy } from 'cockatiel';
import { llmBreakerState, llmCalls, llmLatency, llmTokens } from '../observability/metrics';
import { LlmError, asLlmError } from './llmErrors';
import type { LlmProvider, LlmRequest, LlmResponse, LlmStreamHandlers } from './types';

/**
 * Providers in preference order, each behind its own timeout and circuit breaker (cockatiel).
 * A call goes to the first healthy provider whose circuit is closed; a retryable failure (429,
 * 529, 5xx, timeout, open circuit) moves on to the next. Once text has been streamed to the user
 * there is no silent switch: the failure goes to the caller, which resets the reply and answers
 * through the rule-based path. A provider that failed is "unhealthy" until a health check (or the
 * re-check interval) says otherwise, so a dead local server is not waited on every turn.
 */
export interface RouterOptions {
  timeoutMs: number;
  breakerThreshold: number;
  halfOpenAfterMs: number;
  /** After a failure, skip the provider this long (unless every provider is unhealthy). */
  unhealthyForMs: number;
  now?: () => number;
}

interface Routed {
  provider: LlmProvider;
  breaker: CircuitBreakerPolicy;
  policy: IPolicy;
  unhealthyUntil: number;
}

export interface ProviderStatus {
  name: string;
  healthy: boolean;
  circuit: 'closed' | 'open' | 'half-open' | 'isolated';
}

const CIRCUIT_NAMES: Record<CircuitState, ProviderStatus['circuit']> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/** Gauge values of copilot_llm_breaker_state. */
const BREAKER_GAUGE: Record<CircuitState, number> = {
  [CircuitState.Closed]: 0,
  [CircuitState.HalfOpen]: 1,
  [CircuitState.Open]: 2,
  [CircuitState.Isolated]: 3,
};

function observeCall(provider: string, response: LlmResponse, seconds: number): void {
  llmCalls.inc({ provider, model: response.model, outcome: 'ok' });
  llmLatency.observe({ provider, outcome: 'ok' }, seconds);
  llmTokens.inc({ provider, model: response.model, direction: 'input' }, response.usage.inputTokens);
  llmTokens.inc({ provider, model: response.model, direction: 'output' }, response.usage.outputTokens);
}

export class LlmRouter {
  private readonly routed: Routed[];
  private readonly now: () => number;

  constructor(
    providers: readonly LlmProvider[],
    private readonly options: RouterOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.routed = providers.map((provider) => {
      // Only failures that say "this provider is in trouble" count; a 400 is our request's fault.
      const breaker = circuitBreaker(
        handleWhen((err) => asLlmError(err, provider.name).retryable),
        {
          halfOpenAfter: options.halfOpenAfterMs,
          breaker: new ConsecutiveBreaker(options.breakerThreshold),
        },
      );
      llmBreakerState.set({ provider: provider.name }, BREAKER_GAUGE[CircuitState.Closed]);
      breaker.onStateChange((state) => llmBreakerState.set({ provider: provider.name }, BREAKER_GAUGE[state]));
      return { provider, breaker, policy: wrap(breaker, timeout(options.timeoutMs, TimeoutStrategy.Aggressive)), unhealthyUntil: 0 };
    });
  }

  get configured(): boolean {
    return this.routed.length > 0;
  }

  status(): ProviderStatus[] {
    return this.routed.map((r) => ({ name: r.provider.name, healthy: r.unhealthyUntil <= this.now(), circuit: CIRCUIT_NAMES[r.breaker.state] }));
  }

  /** Runs every provider's health check; a passing check makes it eligible again at once. */
  async checkHealth(): Promise<ProviderStatus[]> {
    await Promise.all(
      this.routed.map(async (r) => {
        try {
          await r.provider.health(AbortSignal.timeout(Math.min(this.options.timeoutMs, 5000)));
          r.unhealthyUntil = 0;
        } catch {
          r.unhealthyUntil = this.now() + this.options.unhealthyForMs;
        }
      }),
    );
    return this.status();
  }

  async complete(request: LlmRequest, handlers: LlmStreamHandlers = {}, signal?: AbortSignal): Promise<LlmResponse> {
    if (this.routed.length === 0) throw new LlmError('unavailable', 'no LLM provider is configured');
    const healthy = this.routed.filter((r) => r.unhealthyUntil <= this.now());
    const order = healthy.length > 0 ? healthy : this.routed;
    let last: LlmError | undefined;
    for (const r of order) {
      let streamed = false;
      const relay: LlmStreamHandlers = {
        onText: (delta) => {
          streamed = true;
          handlers.onText?.(delta);
        },
      };
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const response = await r.policy.execute(({ signal: inner }) => r.provider.complete(request, relay, signal ? AbortSignal.any([inner, signal]) : inner));
        observeCall(r.provider.name, response, seconds());
        return response;
      } catch (err) {
        last = asLlmError(err, r.provider.name);
        llmCalls.inc({ provider: r.provider.name, model: 'unknown', outcome: last.kind });
        llmLatency.observe({ provider: r.provider.name, outcome: last.kind }, seconds());
        if (last.kind !== 'circuit_open' && last.retryable) r.unhealthyUntil = this.now() + this.options.unhealthyForMs;
        if (streamed || !last.retryable || signal?.aborted) throw last;
      }
    }
    throw last ?? new LlmError('unavailable', 'no LLM provider answered');
  }
}
