import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { NextFunction, Request, Response } from 'express';
import type { SessionErrorCode } from '../chat/session/sessionService';
import { CodedError } from '../domain/codedError';
import type { IncidentErrorCode } from '../incidents/incidentService';
import type { PlannerErrorCode } from '../runbooks/planner/plannerError';
import type { RunClientErrorCode } from '../temporal/runClient';
import { HttpProblem, sendProblem, WHOLE_BODY, type FieldError } from './problem';
import { loggerOf, requestIdOf } from './requestContext';

/**
 * The last middleware: every error becomes a problem+json response. Client mistakes map to 4xx
 * with the reason; anything unexpected is logged in full and answered with a generic 500, so
 * internals (stack traces, connection strings) never reach the caller.
 */
interface ProblemSpec {
  status: number;
  /** Becomes the problem `type` (`urn:copilot:problem:<slug>`). */
  slug: string;
  /** The request field the error is about; its message is the error's unless given. */
  field?: { path: string; message?: string };
}

/**
 * THE mapping of coded errors (domain/codedError.ts) to problem+json: one row per family and code.
 * Typed by each family's code union, so a new code does not compile until it has a row here.
 */
const CODED_PROBLEMS: {
  run: Record<RunClientErrorCode, ProblemSpec>;
  session: Record<SessionErrorCode, ProblemSpec>;
  incident: Record<IncidentErrorCode, ProblemSpec>;
  planner: Record<PlannerErrorCode, ProblemSpec>;
} = {
  run: {
    run_not_found: { status: 404, slug: 'run-not-found' },
    run_closed: { status: 409, slug: 'run-closed' },
    idempotency_conflict: { status: 409, slug: 'idempotency-conflict' },
    gate_not_found: { status: 404, slug: 'approval-gate-not-found' },
    already_decided: { status: 409, slug: 'approval-already-decided' },
    approval_forbidden: { status: 403, slug: 'approval-forbidden' },
    invalid_page_token: { status: 400, slug: 'validation-failed', field: { path: 'query.pageToken' } },
    not_pausable: { status: 409, slug: 'run-not-pausable' },
    not_paused: { status: 409, slug: 'run-not-paused' },
    digest_mismatch: { status: 409, slug: 'approval-digest-mismatch', field: { path: 'digest' } },
    invalid_inputs: { status: 422, slug: 'approval-inputs-invalid', field: { path: 'inputs' } },
    invalid_resume_params: { status: 422, slug: 'resume-params-invalid', field: { path: 'params' } },
  },
  session: {
    not_found: { status: 404, slug: 'session-not-found' },
    ended: { status: 409, slug: 'session-ended' },
    empty: { status: 400, slug: 'validation-failed', field: { path: 'content', message: 'must not be empty' } },
    too_long: { status: 413, slug: 'message-too-long', field: { path: 'content' } },
    forbidden: { status: 403, slug: 'forbidden' },
    queue_full: { status: 429, slug: 'session-busy' },
  },
  incident: {
    not_found: { status: 404, slug: 'incident-not-found' },
    resolved: { status: 409, slug: 'incident-resolved' },
    unknown_hypothesis: { status: 404, slug: 'hypothesis-not-found' },
    unknown_action: { status: 404, slug: 'action-not-found' },
  },
  planner: {
    plan_refused: { status: 422, slug: 'plan-refused' },
    draft_not_found: { status: 404, slug: 'draft-not-found' },
    draft_not_open: { status: 409, slug: 'draft-not-open' },
    catalogue_file_exists: { status: 409, slug: 'catalogue-file-exists' },
  },
};

function fromCodedError(err: Pick<CodedError, 'family' | 'code' | 'message'>): HttpProblem | undefined {
  const family = (CODED_PROBLEMS as Record<string, Record<string, ProblemSpec> | undefined>)[err.family];
  const spec = family && Object.hasOwn(family, err.code) ? family[err.code] : undefined;
  if (!spec) return undefined;
  // A service may name every offending place itself (`issues`, e.g. the planner's step paths).
  const issues = (err as { issues?: readonly FieldError[] }).issues;
  const errors: FieldError[] | undefined = issues?.length
    ? issues.map((i) => ({ path: i.path, message: i.message }))
    : spec.field
      ? [{ path: spec.field.path, message: spec.field.message ?? err.message }]
      : undefined;
  return new HttpProblem(spec.status, spec.slug, err.message, errors);
}

/** body-parser marks its errors with `type` and an HTTP status. */
interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
  name?: string;
}

function fromBodyParser(err: BodyParserError): HttpProblem | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new HttpProblem(400, 'malformed-json', 'the request body is not valid JSON', [{ path: WHOLE_BODY, message: 'is not valid JSON' }]);
    case 'entity.too.large':
      return new HttpProblem(413, 'body-too-large', `the request body is larger than the limit of ${err.limit ?? 'the server'} bytes`, [
        { path: WHOLE_BODY, message: `must be at most ${err.limit ?? '?'} bytes` },
      ]);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpProblem(415, 'unsupported-media-type', 'the request body must be UTF-8 JSON', [{ path: 'headers.content-type', message: 'must be JSON in UTF-8' }]);
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new HttpProblem(400, 'bad-request', 'the request body could not be read', [{ path: WHOLE_BODY, message: 'is shorter than its Content-Length, or was aborted' }]);
    default:
      // Any other 4xx from body-parser or the router (e.g. an undecodable %-escape in a path
      // parameter) is still the client's doing; its message is not echoed.
      if (err.status === 400 && err.name === 'URIError') {
        return new HttpProblem(400, 'bad-path', 'the request path has an invalid %-escape', [{ path: 'path', message: 'contains an invalid %-escape' }]);
      }
      if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
        return new HttpProblem(err.status, 'bad-request', 'the request could not be processed');
      }
      return undefined;
  }
}

export function toProblem(err: unknown): HttpProblem | undefined {
  if (err instanceof HttpProblem) return err;
  if (err instanceof CodedError) return fromCodedError(err);
  if (err instanceof ServiceError || err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    // gRPC DEADLINE_EXCEEDED / UNAVAILABLE: Temporal (or the worker a query needs) is not answering.
    const code = (err.cause as { code?: number } | undefined)?.code;
    if (code === 4 || code === 14) return new HttpProblem(503, 'temporal-unavailable', 'Temporal did not answer in time; try again later');
    // RESOURCE_EXHAUSTED (the server's rate limits), and FAILED_PRECONDITION for an update while the
    // run's workflow task is failing (an overloaded worker timing out; Temporal retries the task):
    // both pass, so the client should try again rather than see a 500.
    const message = (err.cause as { details?: string; message?: string } | undefined)?.details ?? err.message;
    if (code === 8 || (code === 9 && /workflow task in failed state/i.test(message))) {
      return new HttpProblem(503, 'temporal-unavailable', 'Temporal is busy with this run (its workflow task is being retried); try again shortly', undefined, {
        'Retry-After': '1',
      });
    }
    return undefined;
  }
  if (err !== null && typeof err === 'object') return fromBodyParser(err);
  return undefined;
}

/**
 * What Node's HTTP parser rejects never reaches Express (a lying or invalid Content-Length, a
 * malformed request line, headers too large, a request that times out): its default answer is an
 * empty 400. This is the raw HTTP/1.1 problem+json response to write on the socket instead.
 */
export function clientErrorResponse(err: { code?: string }): string {
  const [status, slug, detail] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers-too-large', 'the request headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request-timeout', 'the request was not received in time']
        : ([400, 'bad-request', 'the request is not valid HTTP/1.1 (e.g. an invalid Content-Length or a body longer than it)'] as const);
  const problem = new HttpProblem(status, slug, detail);
  const body = JSON.stringify(problem.toBody());
  const reason = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
  return [`HTTP/1.1 ${status} ${reason}`, 'Content-Type: application/problem+json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', '', body].join('\r\n');
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
    sendProblem(res, new HttpProblem(500, 'internal-error', 'an unexpected error occurred; the request id identifies it in the server logs'), requestIdOf(res));
  };
}
