import type { BackendName } from './backendConfig';

/**
 * Every adapter failure: names the backend and the query, and says whether trying again can help.
 * `invalid` (the query's fault) and `not_configured` are permanent; the rest are transient.
 */
export type BackendErrorKind = 'unavailable' | 'timeout' | 'circuit_open' | 'invalid' | 'not_configured';

export class BackendError extends Error {
  constructor(
    readonly backend: BackendName,
    readonly kind: BackendErrorKind,
    /** The query (or path) that failed, so the error alone tells what to re-run. */
    readonly query: string,
    detail: string,
    readonly status?: number,
  ) {
    super(`${backend} ${kind} for \`${query}\`: ${detail}`);
    this.name = 'BackendError';
  }

  get transient(): boolean {
    return this.kind === 'unavailable' || this.kind === 'timeout';
  }
}

/** 408/425/429 and 5xx may pass; any other 4xx will fail the same way again. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}
