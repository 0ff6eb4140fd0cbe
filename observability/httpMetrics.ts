import type { NextFunction, Request, Response } from 'express';
import { httpRequestDuration } from './metrics';
import { routeTemplate } from './routeTemplate';

/**
 * Request duration by route template (`/api/v1/runs/:runId`), never the raw path: ids in paths
 * would make a series per run. Requests no route matched (404s, failed auth before routing) share
 * the label "unmatched". SSE streams are observed when they close, so their "duration" is the
 * stream's lifetime; the route label tells them apart.
 */
export function httpMetrics() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const end = httpRequestDuration.startTimer();
    res.once('close', () => {
      const route = routeTemplate(req) ?? 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
