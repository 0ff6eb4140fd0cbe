import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { Authenticator } from '../../api/auth/authenticator';
import { guardedJsonBody, MAX_WEBHOOK_BODY_BYTES, throwDeferredInput } from '../../api/inputRules';
import { HttpProblem, parseOrThrow } from '../../api/problem';
import { loggerOf, setPrincipal } from '../../api/requestContext';
import { hasRole, type Principal } from '../../domain/roles';
import { AlertmanagerPayload } from '../alertmanagerPayload';
import type { IncidentService } from '../incidentService';

/**
 * POST /api/v1/webhooks/alertmanager — mounted before the API's bearer middleware because it
 * accepts one more credential: ALERTMANAGER_WEBHOOK_TOKEN (what Alertmanager's
 * `http_config.authorization: { credentials: … }` sends as `Bearer …`), as well as any operator
 * token. Answers 200 quickly: the investigation runs in its workflow.
 */
export interface WebhookDeps {
  incidents?: IncidentService;
  authenticator: Authenticator;
  webhookToken?: string;
}

const WEBHOOK_PRINCIPAL: Principal = { sub: 'alertmanager', roles: ['operator'] };

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export function alertmanagerWebhookRoutes(deps: WebhookDeps): Router {
  const router = Router();
  const expected = deps.webhookToken ? digest(deps.webhookToken) : undefined;
  const unauthorized = (detail: string) => new HttpProblem(401, 'unauthorized', detail, undefined, { 'WWW-Authenticate': 'Bearer realm="copilot"' });

  // The API's boundary rule (api/inputRules.ts) with a larger size limit; its findings wait for authentication.
  router.post('/webhooks/alertmanager', guardedJsonBody(MAX_WEBHOOK_BODY_BYTES), async (req, res) => {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!match?.[1]) throw unauthorized('missing or malformed Authorization header (expected "Bearer <token>")');
    let principal: Principal;
    // Constant-time comparison of digests: equal length, no early exit on the first differing byte.
    if (expected && timingSafeEqual(digest(match[1]), expected)) {
      principal = WEBHOOK_PRINCIPAL;
      setPrincipal(res, principal);
    } else {
      const outcome = await deps.authenticator.authenticate(match[1]);
      if (!outcome.ok) throw unauthorized('invalid token');
      setPrincipal(res, outcome.principal); // the audit row names who was refused or served
      if (!hasRole(outcome.principal, 'operator')) throw new HttpProblem(403, 'forbidden', 'this action requires the "operator" role');
      principal = outcome.principal;
    }
    if (!deps.incidents) throw new HttpProblem(503, 'incidents-unavailable', 'incidents are not enabled in this API process');
    throwDeferredInput(res);
    const payload = parseOrThrow(AlertmanagerPayload, req.body ?? {}, 'request body');
    const outcome = await deps.incidents.handleAlertmanager(payload, principal);
    loggerOf(res).info({ groupKey: payload.groupKey.slice(0, 200), status: payload.status, ...outcome }, 'alertmanager notification');
    res.json(outcome);
  });
  return router;
}
