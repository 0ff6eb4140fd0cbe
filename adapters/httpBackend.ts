import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { authHeaders, type BackendConfig } from './backendConfig';
import { backendQueries } from '../observability/metrics';
import { BackendError, isTransientStatus } from './backendError';
import { MAX_BACKEND_ANSWER_BYTES, readBodyText } from './responseBody';

/**
 * One HTTP backend behind a resilience stack: a deadline per call (covering its retries), retries
 * with exponential backoff for transient failures only, and a circuit breaker that stops hammering
 * a backend that is down (calls fail fast with `circuit_open` until a half-open probe succeeds).
 */
export interface HttpAnswer {
  status: number;
  /** Parsed JSON when the body is JSON, else undefined. */
  json: unknown;
  text: string;
}

export type ErrorParser = (answer: HttpAnswer) => string;

export class HttpBackend {
  private readonly policy: IPolicy;
  private readonly base: URL;

  constructor(
    readonly config: BackendConfig,
    /** Extracts the backend's own error message from a failed answer. */
    private readonly describeError: ErrorParser,
  ) {
    this.base = new URL(config.url.endsWith('/') ? config.url : `${config.url}/`);
    const transient = handleWhen((err) => err instanceof BackendError && err.transient);
    const retries = retry(transient, {
      maxAttempts: Math.max(0, (config.maxAttempts ?? 3) - 1),
      backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }),
    });
    const breaker = circuitBreaker(transient, {
      halfOpenAfter: config.breakerHalfOpenAfterMs ?? 10_000,
      breaker: new ConsecutiveBreaker(config.breakerThreshold ?? 5),
    });
    // Aggressive: the deadline holds even if fetch ignored the abort signal.
    const deadline = timeout(config.timeoutMs ?? 10_000, TimeoutStrategy.Aggressive);
    this.policy = wrap(deadline, retries, breaker);
  }

  get name() {
    return this.config.name;
  }

  /** GET `path` with `params`; `label` (the query) names the call in errors. */
  async get(path: string, params: Record<string, string | undefined>, label: string, signal?: AbortSignal): Promise<HttpAnswer> {
    const url = new URL(path.replace(/^\//, ''), this.base);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
    try {
      const answer = await this.policy.execute(({ signal: attemptSignal }) => this.once(url, label, attemptSignal), signal);
      backendQueries.inc({ backend: this.name, outcome: 'ok' });
      return answer;
    } catch (err) {
      const failure = this.asBackendError(err, label);
      backendQueries.inc({ backend: this.name, outcome: failure.kind });
      throw failure;
    }
  }

  private asBackendError(err: unknown, label: string): BackendError {
    if (err instanceof BackendError) return err;
    if (err instanceof BrokenCircuitError) {
      return new BackendError(this.name, 'circuit_open', label, 'circuit open after repeated failures; not calling the backend for now');
    }
    if (err instanceof TaskCancelledError) {
      return new BackendError(this.name, 'timeout', label, `no answer within ${this.config.timeoutMs ?? 10_000} ms`);
    }
    return new BackendError(this.name, 'unavailable', label, (err as Error).message);
  }

  private async once(url: URL, label: string, signal: AbortSignal): Promise<HttpAnswer> {
    let response: Response;
    try {
      response = await fetch(url, { headers: { accept: 'application/json', ...authHeaders(this.config) }, signal });
    } catch (err) {
      throw new BackendError(this.name, signal.aborted ? 'timeout' : 'unavailable', label, (err as Error).message);
    }
    const body = await readBodyText(response, MAX_BACKEND_ANSWER_BYTES).catch(() => ({ text: '', truncated: false }));
    if (body.truncated) {
      // A query that answers this much will again: a permanent error that says what to change.
      throw new BackendError(this.name, 'invalid', label, `answer larger than ${MAX_BACKEND_ANSWER_BYTES / 1024 / 1024} MiB; narrow the query or its time range`, response.status);
    }
    const text = body.text;
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const answer = { status: response.status, json, text };
    if (response.ok) return answer;
    const detail = `HTTP ${response.status}: ${this.describeError(answer).slice(0, 500)}`;
    throw new BackendError(this.name, isTransientStatus(response.status) ? 'unavailable' : 'invalid', label, detail, response.status);
  }
}
