import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { NextFunction, Request, Response } from 'express';
import { RunClientError, type RunClientErrorCode } from '../temporal/runClient';
import { HttpProblem, sendProblem } from './problem';
import { loggerOf, requestIdOf } from './requestContext';

/**
 * The last middleware: every error becomes a problem+json response. Client mistakes map to 4xx
 * with the reason; anything unexpected is logged in full and answered with a generic 500, so
 * internals (stack traces, connection strings) never reach the caller.
 */
const RUN_ERROR_STATUS: Record<RunClientErrorCode, [number, string]> = {
  run_not_found: [404, 'run-not-found'],
  run_closed: [409, 'run-closed'],
  idempotency_conflict: [409, 'idempotency-conflict'],
  gate_not_found: [404, 'approval-gate-not-found'],
  already_decided: [409, 'approval-already-decided'],
  approval_forbidden: [403, 'approval-forbidden'],
  invalid_page_token: [400, 'validation-failed'],
};

/** body-parser marks its errors with `type` and an HTTP status. */
interface BodyParserError {
  type?: string;
  status?: number;
}

function fromBodyParser(err: BodyParserError): HttpProblem | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new HttpProblem(400, 'malformed-json', 'the request body is not valid JSON');
    case 'entity.too.large':
      return new HttpProblem(413, 'body-too-large', 'the request body is larger than 1 MB');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpProblem(415, 'unsupported-media-type', 'the request body must be UTF-8 JSON');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new HttpProblem(400, 'bad-request', 'the request body could not be read');
    default:
      // Any other 4xx from body-parser or the router (e.g. an undecodable %-escape in a path
      // parameter) is still the client's doing; its message is not echoed.
      if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
        return new HttpProblem(err.status, 'bad-request', 'the request could not be processed');
      }
      return undefined;
  }
}

export function toProblem(err: unknown): HttpProblem | undefined {
  if (err instanceof HttpProblem) return err;
  if (err instanceof RunClientError) {
    const [status, slug] = RUN_ERROR_STATUS[err.code];
    const errors = err.code === 'invalid_page_token' ? [{ path: 'pageToken', message: err.message }] : undefined;
    return new HttpProblem(status, slug, err.message, errors);
  }
  if (err instanceof ServiceError || err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    // gRPC DEADLINE_EXCEEDED / UNAVAILABLE: Temporal (or the worker a query needs) is not answering.
    const code = (err.cause as { code?: number } | undefined)?.code;
    if (code === 4 || code === 14) return new HttpProblem(503, 'temporal-unavailable', 'Temporal did not answer in time; try again later');
    return undefined;
  }
  if (err !== null && typeof err === 'object') return fromBodyParser(err);
  return undefined;
}

export function errorHandler() {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const log = loggerOf(res);
    const problem = toProblem(err);
    if (res.headersSent) {
      // An SSE stream that already started cannot turn into a problem response; just end it.
      log.error({ err }, 'error after the response started');
      res.end();
      return;
    }
    if (problem) {
      if (problem.status >= 500) log.error({ err }, problem.detail);
      sendProblem(res, problem, requestIdOf(res));
      return;
    }
    log.error({ err }, 'unhandled error');
    sendProblem(
      res,
      new HttpProblem(500, 'internal-error', 'an unexpected error occurred; the request id identifies it in the server logs'),
      requestIdOf(res),
    );
  };
}
