import type { IncidentState } from '../types';
import { readBodyText } from '../../adapters/responseBody';

/**
 * Pushes incident lifecycle changes to an external incident manager. Implementations must be
 * idempotent per (incident, kind): the activity calling them is at-least-once. `create` when the
 * investigation starts, `update` after its first analysis, `acknowledge` on the first human action
 * (note, feedback, remediation), `resolve` at the end. Each push retries 5xx/429/network errors a
 * few times itself; a refusal (other 4xx) is permanent and not retried.
 */
export type IncidentChange = 'create' | 'update' | 'acknowledge' | 'resolve';

export interface IncidentNotifier {
  readonly name: string;
  notify(change: IncidentChange, state: IncidentState): Promise<void>;
}

/** Fans out to every configured notifier; one failing does not stop the others, but is reported. */
export class CompositeNotifier implements IncidentNotifier {
  readonly name = 'composite';
  constructor(private readonly notifiers: IncidentNotifier[]) {}

  async notify(change: IncidentChange, state: IncidentState): Promise<void> {
    const results = await Promise.allSettled(this.notifiers.map((n) => n.notify(change, state)));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ name: this.notifiers[i]!.name, err: r.reason as Error }] : []));
    if (failed.length) {
      // Permanent only when every failure is (a retry would repeat a refused push for nothing).
      const permanent = failed.every((f) => f.err instanceof IncidentManagerError && f.err.permanent);
      throw new IncidentManagerError(`incident manager push failed: ${failed.map((f) => `${f.name}: ${f.err.message}`).join('; ')}`, permanent);
    }
  }
}

export interface PostOptions {
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Attempts in all (first try included); 5xx, 429 and network errors are retried, other 4xx never. */
  attempts?: number;
  /** First back-off; doubles each retry; a 429's Retry-After (seconds) wins, capped at maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** A push the incident manager refused (4xx other than 429): retrying cannot help. */
export class IncidentManagerError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'IncidentManagerError';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function postJson(url: string, body: unknown, options: PostOptions = {}): Promise<void> {
  const attempts = Math.max(1, options.attempts ?? 3);
  const base = options.baseDelayMs ?? 250;
  const max = options.maxDelayMs ?? 5000;
  let last: IncidentManagerError | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let retryAfterMs: number | undefined;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      });
      if (res.ok) {
        await res.body?.cancel().catch(() => undefined);
        return;
      }
      const text = (await readBodyText(res, 200)).text;
      const transient = res.status >= 500 || res.status === 429 || res.status === 408;
      last = new IncidentManagerError(`${url} answered ${res.status}: ${text}`, !transient);
      if (!transient) throw last;
      const header = Number(res.headers.get('retry-after'));
      if (Number.isFinite(header) && header > 0) retryAfterMs = header * 1000;
    } catch (err) {
      if (err instanceof IncidentManagerError) throw err;
      last = new IncidentManagerError(`${url} unreachable: ${(err as Error).message}`, false);
    }
    if (attempt < attempts) await sleep(Math.min(max, retryAfterMs ?? base * 2 ** (attempt - 1)));
  }
  throw last!;
}
