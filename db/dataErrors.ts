import { PERMANENT_FAILURE, type PermanentFailureType } from '../domain/failureTypes';
import { EventValidationError } from './eventStore';

/**
 * Which database errors are about the data (retrying the same write can never succeed) and which
 * are about the connection (retrying will). Both backends report SQLSTATE in `code`: pg's
 * DatabaseError and PGlite's (the same pg-protocol class). Everything not recognised here —
 * ECONNREFUSED, 57P01 admin shutdown, 40001 serialization failure, 53300 too many connections —
 * stays retryable.
 */
export interface DataErrorClass {
  type: PermanentFailureType;
  message: string;
}

/** SQLSTATEs outside class 22 that are still about the value, not the server. */
const TOO_LARGE = new Set(['22001', '54000', '54001']);

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function classifyDataError(err: unknown): DataErrorClass | undefined {
  if (err instanceof EventValidationError) {
    return { type: err.tooLarge ? PERMANENT_FAILURE.eventTooLarge : PERMANENT_FAILURE.eventRejected, message: err.message };
  }
  if ((err as Error | null)?.name === 'ZodError') {
    return { type: PERMANENT_FAILURE.invalidActivityInput, message: `invalid input: ${(err as Error).message}` };
  }
  const state = sqlState(err);
  if (!state) return undefined;
  const message = `database refused the data (SQLSTATE ${state}): ${(err as Error).message}`;
  if (TOO_LARGE.has(state)) return { type: PERMANENT_FAILURE.dataTooLarge, message };
  if (state.startsWith('22')) return { type: PERMANENT_FAILURE.invalidData, message };
  return undefined;
}
