import { trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import type { Principal } from '../domain/roles';
import { registry } from '../observability/metrics';
import { loggerOf, requestIdOf } from '../api/requestContext';
import { MUTATING_METHODS, resolveAction } from './actions';
import { digestInputs, MAX_REASON_CHARS, type AuditLog, type AuditOutcome, type AuditSurface, type NewAuditEntry } from './auditLog';

/**
 * ONE middleware, mounted on /api/v1 ahead of the Alertmanager webhook and the bearer-auth router,
 * that writes exactly one audit row per mutating request (POST/PUT/PATCH/DELETE) once its outcome
 * is known. It keys off method + route template (audit/actions.ts), so routes need no audit code
 * and refusals that happen before any route runs (401, 415, malformed JSON) are audited too.
 *
 * Failure policy: the row is written after the response is sent, so an audit write failure can
 * never turn a succeeded action into an error (the action already happened; answering 500 would
 * invite a retry that repeats it). Instead it is logged at error level with everything needed to
 * reconstruct the row, and counted in copilot_audit_write_failures_total, which should page.
 */
export const auditWriteFailures = new Counter({
  name: 'copilot_audit_write_failures_total',
  help: 'Audit rows that could not be written (the action itself went ahead), by surface',
  labelNames: ['surface'] as const,
  registers: [registry],
});

/** Surfaces our own clients may claim for themselves; anything else is recorded as `api`. */
const CLAIMABLE_SURFACES: ReadonlySet<string> = new Set<AuditSurface>(['console', 'cli']);
export const SURFACE_HEADER = 'x-copilot-surface';
/** Response fields that carry the id of what a POST created, in order of preference. */
const CREATED_ID_FIELDS = ['runId', 'sessionId', 'incidentId', 'memoryId', 'draftId', 'id'] as const;
/** Answers larger than this are not parsed for a created id or a problem detail. */
const MAX_SNIFF_BYTES = 64 * 1024;
/** How long a handler may still run after its client went away before the row is written without an answer. */
export const ABANDONED_WRITE_AFTER_MS = 60_000;
/** nginx's "client closed request": the caller left before an answer, the action's outcome is unknown. */
const CLIENT_CLOSED = 499;

export function outcomeOf(status: number): AuditOutcome {
  if (status >= 500) return 'failed';
  if (status >= 400) return 'refused';
  return 'ok';
}

function surfaceOf(req: Request, path: string): AuditSurface {
  if (path === '/webhooks/alertmanager') return 'webhook';
  const claimed = req.get(SURFACE_HEADER)?.trim().toLowerCase();
  return claimed && CLAIMABLE_SURFACES.has(claimed) ? (claimed as AuditSurface) : 'api';
}

function traceIdNow(): string | null {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && !/^0+$/.test(ctx.traceId) ? ctx.traceId : null;
}

function sniffJson(body: unknown): Record<string, unknown> | undefined {
  let text: string | undefined;
  if (typeof body === 'string') text = body;
  else if (Buffer.isBuffer(body)) text = body.toString('utf8');
  else if (body !== null && typeof body === 'object') return body as Record<string, unknown>;
  if (text === undefined || text.length > MAX_SNIFF_BYTES) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function createdId(body: Record<string, unknown> | undefined): string | null {
  for (const field of CREATED_ID_FIELDS) {
    const value = body?.[field];
    if (typeof value === 'string' && value.length > 0 && value.length <= 500) return value;
  }
  return null;
}

export function auditTrail(audit: AuditLog | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!audit || !MUTATING_METHODS.has(req.method)) {
      next();
      return;
    }
    // Captured now: Express rewrites req.url/params while routing and restores them on the way out.
    const path = req.path;
    const surface = surfaceOf(req, path);
    const traceId = traceIdNow();
    let matchedTemplate: string | undefined;
    let answer: Record<string, unknown> | undefined;
    let written = false;
    let abandonTimer: NodeJS.Timeout | undefined;
    let closedEarly = false;

    const write = (status: number, note?: string): void => {
      if (written) return;
      written = true;
      if (abandonTimer) clearTimeout(abandonTimer);
      const principal = res.locals.principal as Principal | undefined;
      const { action, params } = resolveAction(req.method, path, matchedTemplate);
      const paramValues = Object.values(params);
      const target = paramValues.length > 0 ? paramValues.join('/') : status < 300 ? createdId(answer) : null;
      const outcome = outcomeOf(status);
      const detail = typeof answer?.detail === 'string' ? answer.detail : undefined;
      const reason = note ?? (outcome === 'ok' ? undefined : detail);
      const entry: NewAuditEntry = {
        subject: principal?.sub ?? 'anonymous',
        roles: principal ? [...principal.roles] : [],
        surface,
        action,
        target: target ?? (action.endsWith('(unmatched)') ? path.slice(0, 500) || '/' : null),
        // The inputs as the API received them (path, query, parsed body); only the digest is kept.
        inputDigest: digestInputs({ params, query: req.query, body: (req.body as unknown) ?? null }),
        outcome,
        reason: reason ? reason.slice(0, MAX_REASON_CHARS) : null,
        statusCode: status,
        requestId: requestIdOf(res) ?? null,
        traceId,
      };
      const log: Logger | undefined = res.locals.log ? loggerOf(res) : undefined;
      // Not awaited by anything in the request: the row is written whether or not the client is still there.
      audit.append(entry).catch((err: unknown) => {
        auditWriteFailures.inc({ surface });
        log?.error({ err, audit: entry }, 'AUDIT WRITE FAILED: the action went ahead but its audit row is missing');
      });
    };

    // Every answer (res.json and sendProblem both end in res.send) passes here while the handler,
    // or the error handler, still has the matched route on the request.
    const send = res.send.bind(res);
    res.send = (body?: unknown): Response => {
      const route = (req as { route?: unknown }).route as { path?: unknown } | undefined;
      if (typeof route?.path === 'string') matchedTemplate = route.path;
      answer = sniffJson(body);
      const result = send(body);
      // The client left before this answer: the handler's outcome is still the truth.
      if (closedEarly) write(res.statusCode);
      return result;
    };
    res.once('finish', () => write(res.statusCode));
    res.once('close', () => {
      if (written || res.writableFinished) return;
      closedEarly = true;
      // Closed before the answer: wait for the handler to answer (res.send above), but not forever.
      abandonTimer = setTimeout(() => write(CLIENT_CLOSED, 'the client disconnected before an answer; the outcome is unknown'), ABANDONED_WRITE_AFTER_MS);
      abandonTimer.unref();
    });
    next();
  };
}
