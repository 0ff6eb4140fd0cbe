import type { Request } from 'express';

/**
 * The matched route as a template (`/api/v1/runs/:runId`), or undefined when no route matched.
 * Route paths are strings in this app; a RegExp or array route would show in its source form.
 */
export function routeTemplate(req: Request): string | undefined {
  const route = req.route as { path?: string | RegExp | (string | RegExp)[] } | undefined;
  if (route?.path === undefined) return undefined;
  const path = Array.isArray(route.path)
    ? route.path.map((p) => (typeof p === 'string' ? p : p.source)).join('|')
    : typeof route.path === 'string'
      ? route.path
      : route.path.source;
  return `${req.baseUrl}${path}`;
}
