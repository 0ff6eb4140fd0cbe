import { BrokenCircuitError, TaskCancelledError } from 'cockatiel';

/**
 * Why an LLM call failed, reduced to what the caller decides on: a degraded turn (the rule-based
 * path answers, `degraded: true`) for every kind here; `retryable` tells the router whether the
 * next provider is worth trying and whether the failure counts against the circuit.
 */
export type LlmFailureKind = 'rate_limited' | 'overloaded' | 'timeout' | 'circuit_open' | 'unavailable' | 'auth' | 'bad_request' | 'bad_output';

export class LlmError extends Error {
  constructor(
    readonly kind: LlmFailureKind,
    message: string,
    readonly provider?: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LlmError';
  }

  get retryable(): boolean {
    return this.kind !== 'bad_request' && this.kind !== 'bad_output';
  }
}

/** Maps a status code (HTTP or an SSE `error` event's type) to a kind. */
export function kindForStatus(status: number | undefined, type?: string): LlmFailureKind {
  if (type === 'overloaded_error' || status === 529) return 'overloaded';
  if (type === 'rate_limit_error' || status === 429) return 'rate_limited';
  if (type === 'authentication_error' || type === 'permission_error' || status === 401 || status === 403) return 'auth';
  if (type === 'invalid_request_error' || status === 400 || status === 404 || status === 413 || status === 422) return 'bad_request';
  if (type === 'timeout_error' || status === 408 || status === 504) return 'timeout';
  return 'unavailable';
}

export function asLlmError(err: unknown, provider: string): LlmError {
  if (err instanceof LlmError) return err;
  if (err instanceof BrokenCircuitError) return new LlmError('circuit_open', `${provider}: circuit open after repeated failures`, provider);
  if (err instanceof TaskCancelledError) return new LlmError('timeout', `${provider}: timed out`, provider);
  const e = err as { status?: number; name?: string; message?: string; error?: { error?: { type?: string } } };
  if (e?.name === 'APIConnectionTimeoutError' || e?.name === 'AbortError' || e?.name === 'TimeoutError') return new LlmError('timeout', `${provider}: timed out`, provider);
  const type = e?.error?.error?.type ?? (err as { type?: string }).type;
  const kind = kindForStatus(e?.status, type);
  return new LlmError(kind, `${provider}: ${e?.message ?? String(err)}`.slice(0, 500), provider, e?.status);
}
