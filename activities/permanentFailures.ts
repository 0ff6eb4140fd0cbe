import { ApplicationFailure } from '@temporalio/common';
import { classifyDataError } from '../db/dataErrors';

/**
 * Turns an error that no retry can fix (the database refused the value, the event store refused the
 * event, the input failed its schema) into `ApplicationFailure.nonRetryable` with its named type
 * from domain/failureTypes.ts. Without this the default retry policy (unlimited attempts for local
 * activities) retries the same write forever and everything queued behind it in the workflow waits.
 * Connection errors are left alone: they stay retryable.
 */
export function asPermanentFailure(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return undefined;
  const data = classifyDataError(err);
  return data ? ApplicationFailure.nonRetryable(data.message, data.type) : undefined;
}

export function rethrowClassified(err: unknown): never {
  throw asPermanentFailure(err) ?? err;
}

type AnyFn = (...args: never[]) => Promise<unknown>;

/** The same activities, each rethrowing permanent data errors as non-retryable failures. */
export function withPermanentFailures<T extends Record<string, AnyFn>>(activities: T): T {
  const wrapped: Record<string, AnyFn> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        rethrowClassified(err);
      }
    };
    // Temporal registers activities by property name; keep the function name for stack traces.
    Object.defineProperty(wrapped[name], 'name', { value: fn.name || name });
  }
  return wrapped as T;
}
