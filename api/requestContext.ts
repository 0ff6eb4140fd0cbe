import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
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

/** Accepts a caller's x-request-id only if it is short and plain, so it cannot inject into logs. */
export function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.locals.log = logger.child({ reqId: requestId });
    res.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    // 'close' rather than 'finish': it also fires when an SSE client goes away mid-stream.
    res.once('close', () => {
      // Path only: query strings are not logged, and headers (Authorization) never are.
      loggerOf(res).info(
        {
          method: req.method,
          path: req.originalUrl.split('?')[0],
          status: res.statusCode,
          ms: Number((process.hrtime.bigint() - started) / 1_000_000n),
          sub: (res.locals.principal as Principal | undefined)?.sub,
          ...(res.locals.traceIds as { traceId: string; spanId: string } | undefined),
        },
        'request',
      );
    });
    next();
  };
}
