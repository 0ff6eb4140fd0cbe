import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { MAX_BACKEND_ANSWER_BYTES, readBodyJson } from '../adapters/responseBody';
import { STEP_FAILURE } from '../domain/failureTypes';

export interface PromQueryOutput {
  resultType: string;
  /** Capped at MAX_SERIES so a runaway query cannot flood workflow history. */
  result: unknown[];
  truncated: boolean;
  query: string;
}

const MAX_SERIES = 100;

/** An instant PromQL query against Prometheus' HTTP API (/api/v1/query). */
export async function promInstantQuery(prometheusUrl: string | undefined, query: string, timeoutMs: number): Promise<PromQueryOutput> {
  if (!prometheusUrl) {
    throw ApplicationFailure.nonRetryable('PROMETHEUS_URL is not configured; cannot run a query step', STEP_FAILURE.backendNotConfigured);
  }
  const url = new URL('api/v1/query', prometheusUrl.endsWith('/') ? prometheusUrl : `${prometheusUrl}/`);
  const signal = AbortSignal.any([Context.current().cancellationSignal, AbortSignal.timeout(timeoutMs)]);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query, timeout: `${Math.max(1, Math.floor(timeoutMs / 1000))}s` }),
      signal,
    });
  } catch (err) {
    throw ApplicationFailure.retryable(`Prometheus unreachable for query \`${query}\`: ${(err as Error).message}`, STEP_FAILURE.backendUnavailable);
  }
  const answer = await readBodyJson(response, MAX_BACKEND_ANSWER_BYTES).catch((err: Error) => {
    throw ApplicationFailure.retryable(`Prometheus answer for \`${query}\` broke off: ${err.message}`, STEP_FAILURE.backendUnavailable);
  });
  if (!answer.ok && answer.reason === 'tooLarge') {
    // The same query will answer as much again: fail the step now, with what to change.
    throw ApplicationFailure.nonRetryable(
      `Prometheus answered more than ${MAX_BACKEND_ANSWER_BYTES / 1024 / 1024} MiB for \`${query}\`; narrow the query (a selector, topk, an aggregation)`,
      STEP_FAILURE.queryInvalid,
    );
  }
  if (!answer.ok || typeof answer.value !== 'object' || answer.value === null) {
    throw ApplicationFailure.retryable(`Prometheus returned ${response.status} with a non-JSON body for \`${query}\``, STEP_FAILURE.backendUnavailable);
  }
  const body = answer.value as { status?: string; data?: { resultType?: string; result?: unknown[] }; errorType?: string; error?: string };
  if (body.status !== 'success') {
    const message = `Prometheus rejected \`${query}\`: ${body.errorType ?? response.status}: ${body.error ?? 'unknown error'}`;
    // bad_data is the query's fault; timeouts and unavailability may pass.
    if (body.errorType === 'bad_data' || response.status === 400 || response.status === 422) {
      throw ApplicationFailure.nonRetryable(message, STEP_FAILURE.queryInvalid);
    }
    throw ApplicationFailure.retryable(message, STEP_FAILURE.backendUnavailable);
  }
  const result = body.data?.result ?? [];
  return {
    resultType: body.data?.resultType ?? 'unknown',
    result: result.slice(0, MAX_SERIES),
    truncated: result.length > MAX_SERIES,
    query,
  };
}
