import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import express, { Router } from 'express';

/**
 * The web console (console/, built by `npm run console:build` into console/dist) served by the API
 * process itself: static files, unauthenticated (every data call goes to /api/v1 with the pasted
 * bearer token). A strict Content-Security-Policy: only this origin, no inline script or style,
 * no eval, not framable. Hashed assets are cached for a year; index.html never is, so a new build
 * is picked up at once. Client routes fall back to index.html; other paths stay the API's 404.
 */
export const CONSOLE_DIST = path.join(packageRoot(__dirname), 'console', 'dist');

/** The folder of package.json: api/ run by tsx and dist/api/ compiled (`npm run build`) both find console/dist. */
function packageRoot(from: string): string {
  for (let dir = from; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
  }
  return path.resolve(from, '..');
}

export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The console's client-side routes (console/src/App.tsx): deep links and reloads land on index.html. */
const CLIENT_ROUTES = ['/', '/signin', '/chat', '/runs', '/runbooks', '/approvals', '/incidents'];

function secure(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

const NOT_BUILT = [
  'The copilot web console is not built.',
  '',
  'Build it from the repository root, then reload this page:',
  '  npm run console:build',
  '',
  '(./scripts/dev.sh, ./scripts/test.sh and the Docker image build it for you.)',
  '',
].join('\n');

export function consoleRoutes(dist: string = CONSOLE_DIST): Router {
  const router = Router();
  const index = path.join(dist, 'index.html');

  router.use(
    '/assets',
    express.static(path.join(dist, 'assets'), {
      immutable: true,
      maxAge: '365d',
      index: false,
      fallthrough: true,
      setHeaders: (res) => secure(res),
    }),
  );
  // Plain middleware rather than router.get: these are not API routes, so the OpenAPI document and
  // the route listing the input rules use (listRoutes) leave them out.
  const isRead = (method: string) => method === 'GET' || method === 'HEAD';
  router.use('/favicon.svg', (req, res, next) => {
    if (!isRead(req.method) || req.path !== '/') return next();
    const file = path.join(dist, 'favicon.svg');
    if (!existsSync(file)) return next();
    secure(res);
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.sendFile(file);
  });

  router.use((req, res, next) => {
    if (!isRead(req.method)) return next();
    const isClientRoute = CLIENT_ROUTES.some((r) => req.path === r || (r !== '/' && req.path.startsWith(`${r}/`)));
    if (!isClientRoute) return next();
    secure(res);
    res.setHeader('Cache-Control', 'no-cache');
    if (!existsSync(index)) {
      res.status(200).type('text/plain; charset=utf-8').send(NOT_BUILT);
      return;
    }
    res.sendFile(index);
  });

  return router;
}
