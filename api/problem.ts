import type { Response } from 'express';
import type { z } from 'zod';
import { formatPath } from '../domain/validationIssue';
import { zodIssuesToRaw } from '../domain/zodIssues';

/**
 * RFC 9457 problem details. Every error the API answers is one of these, with content type
 * `application/problem+json`; `errors` names the offending fields of validation failures.
 */
export interface FieldError {
  path: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  422: 'Unprocessable Content',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Thrown from handlers; the error handler turns it into the response. */
export class HttpProblem extends Error {
  readonly type: string;
  readonly title: string;

  constructor(
    readonly status: number,
    /** Short machine-readable slug, e.g. "validation-failed"; becomes the problem `type`. */
    slug: string,
    readonly detail: string,
    readonly errors?: FieldError[],
    /** Extra response headers, e.g. WWW-Authenticate on 401. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
    this.type = `urn:copilot:problem:${slug}`;
    this.title = TITLES[status] ?? 'Error';
  }

  toBody(requestId?: string): ProblemBody {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.detail,
      ...(requestId ? { instance: `urn:copilot:request:${requestId}` } : {}),
      ...(this.errors && this.errors.length > 0 ? { errors: this.errors } : {}),
    };
  }
}

export function sendProblem(res: Response, problem: HttpProblem, requestId?: string): void {
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res
    .status(problem.status)
    .type('application/problem+json')
    .send(JSON.stringify(problem.toBody(requestId)));
}

/**
 * zod issues as `{ path, message }`, with the same author-facing wording and path style as runbook
 * validation (`params.version`, `definition.steps[0].id`, "unknown field ..."), optionally prefixed.
 */
export function fieldErrorsFromZod(error: z.ZodError, input: unknown, schema: z.ZodType, prefix?: string): FieldError[] {
  return zodIssuesToRaw(error, input, schema).map((issue) => ({
    path: prefixed(prefix, formatPath(issue.path)) || WHOLE_BODY,
    message: issue.message,
  }));
}

/** The path naming a whole JSON body (not an object, not JSON, too large): body fields are unprefixed. */
export const WHOLE_BODY = 'body';

export function prefixed(prefix: string | undefined, path: string): string {
  if (!prefix) return path;
  if (!path) return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

export function validationProblem(where: string, errors: FieldError[], status = 400): HttpProblem {
  const fields = [...new Set(errors.map((e) => e.path).filter(Boolean))];
  const detail = fields.length > 0 ? `invalid ${where}: ${fields.join(', ')}` : `invalid ${where}`;
  return new HttpProblem(status, status === 422 ? 'unprocessable' : 'validation-failed', detail, errors);
}

/**
 * Where a field lives is part of its path, so a query `service` and a body `service` differ: body
 * fields are named as they are, query fields `query.<name>`, path parameters `path.<name>`, headers
 * `headers.<name>` (the convention of api/README.md "Input rules").
 */
const LOCATION_PREFIX: Record<string, string> = { query: 'query', path: 'path', headers: 'headers' };

/** Parses `value` with `schema`, or throws a 400 problem listing every offending field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where: string, prefix?: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationProblem(where, fieldErrorsFromZod(parsed.error, value, schema, prefix ?? LOCATION_PREFIX[where]));
  return parsed.data;
}
