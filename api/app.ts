import express, { Router, type Express, type NextFunction, type Request, type Response } from 'express';
import { alertmanagerWebhookRoutes } from '../incidents/api/alertmanagerWebhook';
import { httpMetrics } from '../observability/httpMetrics';
import { registry } from '../observability/metrics';
import { httpTracing } from '../observability/tracing';
import { incidentRoutes } from '../incidents/api/incidentRoutes';
import { auditTrail } from '../audit/auditMiddleware';
import { MCP_PATH, mcpEndpoint } from '../mcp/httpEndpoint';
import { authenticate } from './auth/middleware';
import type { AppDeps } from './deps';
import { errorHandler } from './errorHandler';
import { consoleRoutes } from './consoleRoute';
import { EventStreams } from './eventStreams';
import { defer, guardedJsonBody, JSON_TYPES, matchTemplate, routesOf } from './inputRules';
import { HttpProblem } from './problem';
import { rateLimitsFromConfig } from './rateLimits';
import { requestContext } from './requestContext';
import { approvalRoutes } from './routes/approvals';
import { auditRoutes } from './routes/audit';
import { healthRoutes } from './routes/health';
import { metricsRoute } from './routes/metrics';
import { openApiRoutes } from './routes/openapi';
import { meRoutes } from './routes/me';
import { memoryRoutes } from './routes/memories';
import { nlpRoutes } from './routes/nlp';
import { runEventRoutes } from './routes/runEvents';
import { runbookRoutes } from './routes/runbooks';
import { runbookPlannerRoutes } from './routes/runbookPlanner';
import { runPlanRoutes } from './routes/runPlan';
import { runRoutes } from './routes/runs';
import { sessionListRoutes } from './routes/sessionList';
import { sessionRoutes } from './routes/sessions';
import { slackUserRoutes } from '../slack/userRoutes';

/**
 * The Express app: probes at the root, everything else under /api/v1 behind bearer auth.
 * Returned with closeEventStreams() so a graceful shutdown can end long-lived SSE responses.
 */
export type CopilotApp = Express & {
  closeEventStreams(): void;
  openEventStreams(): number;
};

export const API_PREFIX = '/api/v1';

/** A request with a body must declare JSON; bodyless requests (GET, POST /cancel) pass. Like every input problem, a 415 waits for the role check. */
function requireJsonBody(req: Request, res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  if (hasBody && !req.is(JSON_TYPES)) {
    defer(
      res,
      new HttpProblem(415, 'unsupported-media-type', 'the request body must be JSON (Content-Type: application/json)', [
        { path: 'headers.content-type', message: 'must be application/json' },
      ]),
    );
  }
  next();
}

/** Express's `trust proxy`: "true"/"false", a hop count, or addresses/subnets (comma-separated). */
function trustProxySetting(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** 405 with `Allow` when the path exists for other methods, else 404. */
function notFound(req: Request): never {
  const segments = `${req.baseUrl}${req.path}`.split('/').slice(1);
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
  const allowed = new Set(
    routesOf(req)
      .filter((r) => matchTemplate(r.path, segments))
      .flatMap((r) => r.methods),
  );
  if (allowed.size > 0) {
    if (allowed.has('GET')) allowed.add('HEAD');
    const allow = [...allowed].sort().join(', ');
    throw new HttpProblem(405, 'method-not-allowed', `${req.method} is not allowed here; allowed: ${allow}`, undefined, { Allow: allow });
  }
  throw new HttpProblem(404, 'route-not-found', `no route for ${req.method} ${req.path}`);
}

export function createApp(deps: AppDeps): CopilotApp {
  const streams = new EventStreams({ maxBufferedBytes: deps.config.SSE_MAX_BUFFERED_BYTES });
  const app = express();
  app.disable('x-powered-by');
  // SSE and JSON answers are dynamic; weak ETags would only add hashing work.
  app.set('etag', false);

  if (deps.config.TRUST_PROXY !== undefined) app.set('trust proxy', trustProxySetting(deps.config.TRUST_PROXY));

  app.use(httpTracing());
  app.use(httpMetrics());
  app.use(requestContext(deps.logger));
  app.use(healthRoutes(deps.readiness));
  app.use(metricsRoute({ registry, token: deps.config.METRICS_TOKEN, ...(deps.temporalSdkMetricsUrl ? { temporalSdkUrl: deps.temporalSdkMetricsUrl } : {}) }));
  app.use(openApiRoutes());
  // Slack verifies signatures over the raw body: its receiver parses its own body, outside /api/v1's JSON parser.
  if (deps.slack) app.use(deps.slack.router);

  const limits = deps.rateLimits ?? rateLimitsFromConfig(deps.config, deps.logger);
  app.use(API_PREFIX, limits.beforeAuth());
  app.use(`${API_PREFIX}/webhooks`, limits.perWebhookSource());
  // MCP (mcp/README.md): the same authentication and rate limits as /api/v1; every tool call is authorised and audited (surface mcp).
  app.use(MCP_PATH, mcpEndpoint({ ...deps, limits }));

  // One audit row per mutating request, for the webhook and the authenticated router alike (audit/README.md).
  app.use(API_PREFIX, auditTrail(deps.audit));
  // Before the bearer middleware: it also accepts ALERTMANAGER_WEBHOOK_TOKEN.
  app.use(API_PREFIX, alertmanagerWebhookRoutes({ incidents: deps.incidents, authenticator: deps.authenticator, webhookToken: deps.config.ALERTMANAGER_WEBHOOK_TOKEN }));

  const api = Router();
  api.use(authenticate(deps.authenticator));
  api.use(limits.perSubject());
  api.use(requireJsonBody);
  // The boundary rule for every route below (api/inputRules.ts); what it finds waits for requireRole.
  api.use(guardedJsonBody());
  // Before the catalogue's /runbooks/:name, so /runbooks/drafts is the planner's (runbooks/planner/).
  api.use(runbookPlannerRoutes({ config: deps.config, runs: deps.runs, ...(deps.planner ? { planner: deps.planner } : {}) }));
  api.use(runbookRoutes(deps.catalogue));
  // Surfaces (console, CLI): who am I, my sessions, the approvals inbox and its feed, dry-run plans.
  api.use(meRoutes(deps.config), sessionListRoutes(deps.chat), runPlanRoutes(deps.catalogue));
  api.use(approvalRoutes({ runs: deps.runs, catalogue: deps.catalogue, fanout: deps.fanout, eventLog: deps.eventLog, streams, heartbeatMs: deps.config.SSE_HEARTBEAT_MS }));
  api.use(runRoutes({ config: deps.config, runs: deps.runs, catalogue: deps.catalogue }));
  api.use(runEventRoutes({ runs: deps.runs, fanout: deps.fanout, streams, heartbeatMs: deps.config.SSE_HEARTBEAT_MS }));
  api.use(
    sessionRoutes({
      chat: deps.chat,
      memory: deps.memory,
      fanout: deps.fanout,
      streams,
      heartbeatMs: deps.config.SSE_HEARTBEAT_MS,
      replyWaitMs: deps.config.CHAT_REPLY_WAIT_MS,
    }),
  );
  api.use(nlpRoutes({ chat: deps.chat }));
  api.use(memoryRoutes({ memory: deps.memory }));
  api.use(
    incidentRoutes({
      incidents: deps.incidents,
      runs: deps.runs,
      catalogue: deps.catalogue,
      fanout: deps.fanout,
      streams,
      heartbeatMs: deps.config.SSE_HEARTBEAT_MS,
    }),
  );
  api.use(auditRoutes({ audit: deps.audit }));
  api.use(slackUserRoutes({ store: deps.slack?.store, configured: deps.slack?.users ?? new Map() }));
  api.use(notFound);
  app.use(API_PREFIX, api);
  // The web console (console/): static, unauthenticated, strict CSP; its data calls go to /api/v1.
  app.use(consoleRoutes());

  app.use(notFound);
  app.use(errorHandler());

  return Object.assign(app, {
    closeEventStreams: () => streams.closeAll(),
    openEventStreams: () => streams.size,
  });
}
