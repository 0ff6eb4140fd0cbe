import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { HttpRequestSpec } from '../domain/runbook';
import { readBodyText } from '../adapters/responseBody';
import { STEP_FAILURE } from '../domain/failureTypes';
import { jsonBytes, STEP_OUTPUT_MAX_BYTES } from '../domain/outputBudget';

export interface HttpAction {
  request: HttpRequestSpec;
  expectStatus?: number[];
}

export interface HttpOutput {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  /** The body was larger than a step output may be: `body` holds its first MAX_BODY_CHARS characters. */
  bodyTruncated?: true;
  /** With `bodyTruncated`: the body's size when known (the declared Content-Length, or all of it was read). */
  bodyBytes?: number;
}

/** Text bodies are kept up to this many characters. */
const MAX_BODY_CHARS = 64 * 1024;
/**
 * Bytes of a body read at most; the rest is not downloaded. A parsed body must fit a step's output
 * budget (domain/outputBudget.ts) with its status and headers, so more would only be thrown away.
 */
const MAX_BODY_BYTES = STEP_OUTPUT_MAX_BYTES - 16 * 1024;
/** Statuses worth another attempt; any other unexpected status is a permanent failure. */
const TRANSIENT = new Set([408, 425, 429, 500, 502, 503, 504]);
const KEPT_HEADERS = ['content-type', 'location', 'etag', 'retry-after', 'x-request-id'];

/**
 * One HTTP request with an Idempotency-Key that is the same on every attempt (run id + step key),
 * so a receiving service can drop the repeats at-least-once delivery produces.
 */
export async function sendHttp(action: HttpAction, idempotencyKey: string, timeoutMs: number): Promise<HttpOutput> {
  const { method, url, headers = {}, json, body } = action.request;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw ApplicationFailure.nonRetryable(`invalid URL "${url}"`, STEP_FAILURE.invalidRequest);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw ApplicationFailure.nonRetryable(`URL scheme ${parsed.protocol} is not allowed`, STEP_FAILURE.invalidRequest);
  }
  const requestHeaders: Record<string, string> = { 'idempotency-key': idempotencyKey, ...lowerKeys(headers) };
  let payload: string | undefined = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    requestHeaders['content-type'] ??= 'application/json';
  }
  const signal = AbortSignal.any([Context.current().cancellationSignal, AbortSignal.timeout(timeoutMs)]);
  let response: Response;
  try {
    response = await fetch(parsed, { method, headers: requestHeaders, body: payload, signal, redirect: 'manual' });
  } catch (err) {
    const reason = (err as Error).name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (err as Error).message;
    throw ApplicationFailure.retryable(`${method} ${parsed.origin}${parsed.pathname} failed: ${reason}`, STEP_FAILURE.httpUnavailable);
  }
  let read;
  try {
    read = await readBodyText(response, MAX_BODY_BYTES);
  } catch (err) {
    const reason = signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (err as Error).message;
    throw ApplicationFailure.retryable(`${method} ${parsed.origin}${parsed.pathname} failed while reading the body: ${reason}`, STEP_FAILURE.httpUnavailable);
  }
  const text = read.text;
  const keptHeaders = Object.fromEntries(KEPT_HEADERS.flatMap((h) => (response.headers.get(h) ? [[h, response.headers.get(h)!]] : [])));
  const whole: HttpOutput = { status: response.status, headers: keptHeaders, body: read.truncated ? text : parseBody(text, response.headers.get('content-type')) };
  // Cut while read, a long text, or parsed into more than the budget (escapes grow): the text's beginning, flagged.
  const cut = read.truncated || (typeof whole.body === 'string' && whole.body.length > MAX_BODY_CHARS) || jsonBytes(whole) > STEP_OUTPUT_MAX_BYTES;
  const size = read.declaredBytes ?? (read.truncated ? undefined : Buffer.byteLength(text));
  const output: HttpOutput = cut
    ? {
        status: response.status,
        headers: keptHeaders,
        body: `${text.slice(0, MAX_BODY_CHARS)}…[truncated]`,
        bodyTruncated: true,
        ...(size !== undefined ? { bodyBytes: size } : {}),
      }
    : whole;
  const accepted = action.expectStatus ? action.expectStatus.includes(response.status) : response.status >= 200 && response.status < 300;
  if (!accepted) {
    const message = `${method} ${parsed.origin}${parsed.pathname} returned ${response.status}${snippet(text)}`;
    if (TRANSIENT.has(response.status)) throw ApplicationFailure.retryable(message, STEP_FAILURE.httpTransientStatus);
    throw ApplicationFailure.nonRetryable(message, STEP_FAILURE.httpUnexpectedStatus);
  }
  return output;
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function parseBody(text: string, contentType: string | null): unknown {
  if (contentType?.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      // fall through: keep the text so the author can see what came back
    }
  }
  return text;
}

function snippet(text: string): string {
  const trimmed = text.trim().slice(0, 200);
  return trimmed ? `: ${trimmed}` : '';
}
