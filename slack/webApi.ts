import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode, LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';

/**
 * The Slack Web API as the worker's activities call it. One owner of retries: Temporal. The
 * WebClient's own retries are off (`retries: 0`) and rate-limited calls are rejected rather than
 * waited out inside the client (`rejectRateLimitedCalls`), so every failure surfaces here and
 * becomes an ApplicationFailure: a 429 is retryable with `nextRetryDelay` = Slack's Retry-After,
 * transient errors are retryable with the activity's backoff, and errors a retry cannot fix
 * (`channel_not_found`, `invalid_auth`, `invalid_blocks`, …) are non-retryable.
 */
export const SLACK_FAILURE = {
  rateLimited: 'SlackRateLimited',
  transient: 'SlackTransient',
  permanent: 'SlackPermanent',
} as const;

/** Platform errors that a retry cannot fix (https://api.slack.com/methods/chat.postMessage#errors and friends). */
const PERMANENT_ERRORS = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'missing_scope',
  'no_permission',
  'msg_too_long',
  'invalid_blocks',
  'invalid_blocks_format',
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
  'user_not_found',
  'user_not_in_channel',
  'invalid_arguments',
  'invalid_arg_name',
  'no_text',
  'expired_trigger_id',
  'invalid_trigger_id',
  'view_too_large',
]);

const quietLogger: SlackLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => LogLevel.ERROR,
  setName() {},
};

export function createWebClient(token: string, apiUrl: string, timeoutMs = 10_000): WebClient {
  return new WebClient(token, {
    slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: timeoutMs,
    logger: quietLogger,
  });
}

/** Turns a WebClient error into the ApplicationFailure Temporal retries (or does not). Never includes the token. */
export function slackFailure(err: unknown, method: string): ApplicationFailure {
  const e = err as { code?: string; retryAfter?: number; data?: { error?: string }; statusCode?: number; message?: string };
  if (e.code === ErrorCode.RateLimitedError) {
    const seconds = typeof e.retryAfter === 'number' && e.retryAfter > 0 ? e.retryAfter : 1;
    return ApplicationFailure.create({ message: `${method}: rate limited, retry after ${seconds} s`, type: SLACK_FAILURE.rateLimited, nextRetryDelay: seconds * 1000 });
  }
  if (e.code === ErrorCode.PlatformError) {
    const code = e.data?.error ?? 'unknown_error';
    if (code === 'ratelimited') return ApplicationFailure.create({ message: `${method}: ratelimited`, type: SLACK_FAILURE.rateLimited, nextRetryDelay: 1000 });
    return PERMANENT_ERRORS.has(code)
      ? ApplicationFailure.nonRetryable(`${method}: ${code}`, SLACK_FAILURE.permanent)
      : ApplicationFailure.retryable(`${method}: ${code}`, SLACK_FAILURE.transient);
  }
  if (e.code === ErrorCode.HTTPError && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 && e.statusCode !== 408) {
    return ApplicationFailure.nonRetryable(`${method}: HTTP ${e.statusCode}`, SLACK_FAILURE.permanent);
  }
  return ApplicationFailure.retryable(`${method}: ${e.code === ErrorCode.HTTPError ? `HTTP ${e.statusCode}` : 'request failed'}`, SLACK_FAILURE.transient);
}

export function isPermanentSlackFailure(err: unknown): boolean {
  return err instanceof ApplicationFailure && err.type === SLACK_FAILURE.permanent;
}

/** Runs one Web API call; any failure is rethrown as the ApplicationFailure above. */
export async function slackCall<T>(method: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw slackFailure(err, method);
  }
}

/**
 * Posts to an interaction's or command's `response_url` (https://api.slack.com/interactivity/handling#message_responses).
 * Same failure rules as the Web API: 429 + Retry-After → retry after that delay.
 */
export async function postToResponseUrl(url: string, body: Record<string, unknown>): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  } catch {
    throw ApplicationFailure.retryable('response_url: request failed', SLACK_FAILURE.transient);
  }
  await res.text().catch(() => '');
  if (res.status === 429) {
    const seconds = Number(res.headers.get('retry-after')) || 1;
    throw ApplicationFailure.create({ message: `response_url: rate limited, retry after ${seconds} s`, type: SLACK_FAILURE.rateLimited, nextRetryDelay: seconds * 1000 });
  }
  // A used-up or expired response_url (404/410, "used_url") cannot succeed later.
  if (res.status >= 400 && res.status < 500) throw ApplicationFailure.nonRetryable(`response_url: HTTP ${res.status}`, SLACK_FAILURE.permanent);
  if (res.status >= 500) throw ApplicationFailure.retryable(`response_url: HTTP ${res.status}`, SLACK_FAILURE.transient);
}
