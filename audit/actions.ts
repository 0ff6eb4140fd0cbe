/**
 * Stable audit action names for the API's mutating routes, keyed by method and route template
 * (relative to /api/v1). Renaming a route must not rename its audit action, which is why the
 * table is explicit. A mutating route missing here is still audited, as `METHOD <template>`.
 */
export interface AuditedRoute {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  action: string;
}

export const AUDITED_ROUTES: readonly AuditedRoute[] = [
  { method: 'POST', path: '/runs', action: 'run.start' },
  { method: 'POST', path: '/runs/:runId/approvals/:gateId', action: 'approval.decide' },
  { method: 'POST', path: '/runs/:runId/cancel', action: 'run.cancel' },
  { method: 'POST', path: '/runs/:runId/pause', action: 'run.pause' },
  { method: 'POST', path: '/runs/:runId/resume', action: 'run.resume' },
  { method: 'POST', path: '/runs/plan', action: 'run.plan' },
  { method: 'POST', path: '/runbooks/compose', action: 'runbook.compose' },
  { method: 'POST', path: '/runbooks/drafts/:id/runs', action: 'runbook.draft.run' },
  { method: 'POST', path: '/runbooks/drafts/:id/promote', action: 'runbook.draft.promote' },
  { method: 'POST', path: '/runbooks/drafts/:id/discard', action: 'runbook.draft.discard' },
  { method: 'POST', path: '/sessions', action: 'session.start' },
  { method: 'POST', path: '/sessions/:id/messages', action: 'session.message' },
  { method: 'DELETE', path: '/sessions/:id', action: 'session.end' },
  { method: 'POST', path: '/nlp/parse', action: 'nlp.parse' },
  { method: 'POST', path: '/memories', action: 'memory.create' },
  { method: 'DELETE', path: '/memories/:id', action: 'memory.delete' },
  { method: 'POST', path: '/incidents', action: 'incident.start' },
  { method: 'POST', path: '/incidents/:incidentId/notes', action: 'incident.note' },
  { method: 'POST', path: '/incidents/:incidentId/feedback', action: 'incident.feedback' },
  { method: 'POST', path: '/incidents/:incidentId/resolve', action: 'incident.resolve' },
  { method: 'POST', path: '/incidents/:incidentId/remediate', action: 'incident.remediate' },
  { method: 'POST', path: '/webhooks/alertmanager', action: 'alertmanager.notify' },
  { method: 'PUT', path: '/slack/users/:slackUserId', action: 'slack.user.map' },
  { method: 'DELETE', path: '/slack/users/:slackUserId', action: 'slack.user.unmap' },
];

export const MUTATING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Matches a plain template (`/a/:x/b`) against a path and returns its decoded parameters, or
 * undefined. Only literal and `:name` segments: that is all the API's templates use, and a
 * template with other syntax simply yields no parameters.
 */
export function matchTemplate(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/').filter(Boolean);
  const got = path.replace(/\/+$/, '').split('/').filter(Boolean);
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i += 1) {
    const w = want[i] ?? '';
    const g = got[i] ?? '';
    if (w.startsWith(':')) {
      if (!/^:[A-Za-z_][A-Za-z0-9_]*$/.test(w)) return undefined;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        params[w.slice(1)] = g;
      }
    } else if (w !== g) {
      return undefined;
    }
  }
  return params;
}

export interface ResolvedAction {
  action: string;
  template: string | undefined;
  params: Record<string, string>;
}

/**
 * The action for a request: the table entry whose template matches, else the route Express
 * matched (`matchedTemplate`), else `METHOD (unmatched)` (a 404, or a request refused before
 * routing such as a 401 on an unknown path).
 */
export function resolveAction(method: string, path: string, matchedTemplate: string | undefined): ResolvedAction {
  for (const route of AUDITED_ROUTES) {
    if (route.method !== method) continue;
    const params = matchTemplate(route.path, path);
    if (params) return { action: route.action, template: route.path, params };
  }
  if (matchedTemplate) {
    return { action: `${method} ${matchedTemplate}`, template: matchedTemplate, params: matchTemplate(matchedTemplate, path) ?? {} };
  }
  return { action: `${method} (unmatched)`, template: undefined, params: {} };
}
