import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { Principal } from '../domain/roles';

/**
 * Per-request context kept in `res.locals` (typed accessors here rather than a global Express
 * augmentation): the request id, a child logger carrying it, and the authenticated principal.
 */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdOf(res: Response): string | undefined {
  return res.locals.requestId as string | undefined;
}

export function loggerOf(res: Response): Logger {
  return res.locals.log as Logger;
}

export function setPrincipal(res: Response, principal: Principal): void {
  res.locals.principal = principal;
}

/** Only reachable behind the authenticate middleware, so a missing principal is a programming error. */
export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new Error('principalOf called on an unauthenticated route');
  return principal;
}

/**
 * pino-http writes one `request` line per request when the response ends or the client goes away
 * (SSE). Only chosen fields: method, path without the query string, status, duration, subject and
 * trace ids; never headers. A caller's x-request-id is kept only if it is short and plain, so it
 * cannot inject into logs; handlers log through `loggerOf(res)`, a child carrying `reqId`.
 */
export function requestContext(logger: Logger) {
  const requestLine = (req: IncomingMessage, res: ServerResponse, responseTime: number) => {
    const locals = (res as Response).locals as { principal?: Principal; traceIds?: { traceId: string; spanId: string } } | undefined;
    return {
      method: req.method,
      path: ((req as Request).originalUrl ?? req.url ?? '').split('?')[0],
      status: res.statusCode,
      ms: responseTime,
      sub: locals?.principal?.sub,
      ...locals?.traceIds,
    };
  };
  const http = pinoHttp({
    logger,
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: 'reqId' },
    genReqId: (req, res) => {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    // Unexpected errors are logged in full by the error handler; the request line stays a summary.
    customLogLevel: (_req, res) => (res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: () => 'request',
    customErrorMessage: () => 'request',
    customSuccessObject: (req, res, value: { responseTime: number }) => requestLine(req, res, value.responseTime),
    customErrorObject: (req, res, _err, value: { responseTime: number }) => requestLine(req, res, value.responseTime),
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    http(req, res);
    res.locals.requestId = req.id as string;
    res.locals.log = req.log;
    next();
  };
}
