import express, { type NextFunction, type Request, type Response } from 'express';
import { formatPath, type PathSegment } from '../domain/validationIssue';
import { HttpProblem, prefixed, WHOLE_BODY, type FieldError } from './problem';

/**
 * The API's boundary rule, applied once for every route (see "Input rules" in api/README.md):
 * bodies are bounded in size and nesting depth before they are parsed, and no text Postgres or JSON
 * cannot hold (NUL, lone surrogates) nor any prototype key enters from a body, a query string or a
 * path. Paths in `errors[]`: body fields as they are (`params.version`), `query.<name>`, `path.<name>`.
 *
 * Problems found here are deferred until the route's role check (requireRole calls
 * `throwDeferredInput`), so a caller without the role learns nothing about validation.
 */
export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_WEBHOOK_BODY_BYTES = 5 * 1024 * 1024;
export const MAX_JSON_DEPTH = 32;
export const MAX_RUN_PARAMS_BYTES = 64 * 1024;
export const JSON_TYPES = ['application/json', 'application/*+json'];

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** NUL and surrogate halves, replaced by "?" where a refused key has to appear in an error path. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this has to find
const UNPRINTABLE = /[\u0000\uD800-\uDFFF]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Bounds the work and the answer for a hostile body with thousands of bad strings. */
const MAX_REPORTED = 20;

/** Why `text` cannot be stored or echoed, or undefined when it can. */
export function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL (U+0000)';
  if (LONE_SURROGATE.test(text)) return 'must not contain a lone UTF-16 surrogate';
  return undefined;
}

function prototypeKeyMessage(key: string): string {
  return `the key "${key}" is not allowed (prototype keys are refused)`;
}

/**
 * Where a JSON text first nests deeper than `maxDepth`, as a path, or undefined. A single pass over
 * the characters with an explicit stack that never grows past `maxDepth`: no recursion, so no depth
 * an attacker picks can overflow our stack. Malformed JSON is left to JSON.parse.
 */
export function depthExceededAt(text: string, maxDepth: number): PathSegment[] | undefined {
  const frames: { array: boolean; child: PathSegment | undefined; index: number }[] = [];
  let lastString = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      const raw = text.slice(start, i + 1);
      try {
        lastString = raw.length <= 1024 ? (JSON.parse(raw) as string) : raw.slice(1, 1000);
      } catch {
        lastString = raw.slice(1, -1);
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (frames.length >= maxDepth) return frames.map((f) => f.child ?? (f.array ? f.index : '?'));
      const array = c === 0x5b;
      frames.push({ array, child: array ? 0 : undefined, index: 0 });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      frames.pop();
    } else if (c === 0x3a /* : */) {
      const top = frames[frames.length - 1];
      if (top && !top.array) top.child = lastString;
    } else if (c === 0x2c /* , */) {
      const top = frames[frames.length - 1];
      if (top?.array) top.child = ++top.index;
    }
  }
  return undefined;
}

/**
 * Every string and key of a parsed body that breaks the text rule, and every prototype key. An
 * explicit work list rather than recursion (the depth is bounded already, this keeps it obvious).
 */
export function bodyTextIssues(root: unknown): FieldError[] {
  const issues: FieldError[] = [];
  const work: { value: unknown; path: PathSegment[] }[] = [{ value: root, path: [] }];
  while (work.length > 0 && issues.length < MAX_REPORTED) {
    const { value, path } = work.pop()!;
    if (typeof value === 'string') {
      const problem = unstorableText(value);
      if (problem) issues.push({ path: formatPath(path) || WHOLE_BODY, message: problem });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) work.push({ value: value[i], path: [...path, i] });
    } else if (value !== null && typeof value === 'object') {
      // JSON.parse makes `__proto__` an own property, so Object.keys sees it.
      for (const key of Object.keys(value).reverse()) {
        const keyProblem = unstorableText(key);
        const where = formatPath([...path, keyProblem ? key.replace(UNPRINTABLE, '?') : key]);
        if (keyProblem) issues.push({ path: where, message: `key ${keyProblem}` });
        else if (PROTOTYPE_KEYS.has(key)) issues.push({ path: where, message: prototypeKeyMessage(key) });
        else work.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
      }
    }
  }
  return issues;
}

function problemFor(where: string, issues: FieldError[]): HttpProblem {
  const prototype = issues.some((i) => i.message.includes('prototype keys'));
  const slug = prototype && issues.every((i) => i.message.includes('prototype keys')) ? 'prototype-key' : 'invalid-text';
  return new HttpProblem(400, slug, `invalid ${where}: ${[...new Set(issues.map((i) => i.path))].join(', ')}`, issues);
}

/** Body rules on a JSON text already read (size checked by the reader): depth, then text and keys. */
export function parseGuardedJson(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  const deep = depthExceededAt(text, maxDepth);
  if (deep) {
    const path = formatPath(deep) || WHOLE_BODY;
    throw new HttpProblem(400, 'too-deep', `the request body nests deeper than ${maxDepth} levels`, [
      { path, message: `nests deeper than the limit of ${maxDepth} levels of objects and arrays` },
    ]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpProblem(400, 'malformed-json', 'the request body is not valid JSON', [{ path: WHOLE_BODY, message: 'is not valid JSON' }]);
  }
  const issues = bodyTextIssues(value);
  if (issues.length > 0) throw problemFor('request body', issues);
  return value;
}

// --- deferral -----------------------------------------------------------------------------------

const DEFERRED = 'inputProblem';

/** Keeps a problem found in the request until the route's role check (the first one found wins). */
export function defer(res: Response, err: unknown): void {
  res.locals[DEFERRED] ??= err;
}

/** Throws what the boundary rule found for this request, if anything; called after the role check. */
export function throwDeferredInput(res: Response): void {
  const err: unknown = res.locals[DEFERRED];
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- a body-parser error or an HttpProblem, mapped by errorHandler
  if (err !== undefined) throw err;
}

// --- query and path -----------------------------------------------------------------------------

function queryIssues(query: unknown): FieldError[] {
  const issues: FieldError[] = [];
  if (query === null || typeof query !== 'object') return issues;
  for (const [key, raw] of Object.entries(query as Record<string, unknown>)) {
    const path = prefixed('query', formatPath([key.replace(UNPRINTABLE, '?')]));
    const keyProblem = unstorableText(key);
    if (keyProblem) issues.push({ path, message: `name ${keyProblem}` });
    else if (PROTOTYPE_KEYS.has(key)) issues.push({ path, message: prototypeKeyMessage(key) });
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      const problem = typeof value === 'string' ? unstorableText(value) : undefined;
      if (problem) issues.push({ path, message: problem });
    }
    if (issues.length >= MAX_REPORTED) break;
  }
  return issues;
}

/** A route as mounted: method set and full path template, e.g. `/api/v1/runs/:runId`. */
export interface RouteInfo {
  path: string;
  methods: string[];
}

interface LayerLike {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
  rawPath?: unknown;
}

/** Every route of an Express 5 app, walking nested routers; the fuzz suite uses it too. */
export function listRoutes(app: object): RouteInfo[] {
  const out: RouteInfo[] = [];
  const walk = (stack: LayerLike[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const methods = Object.keys(layer.route.methods)
          .filter((m) => layer.route!.methods[m] && m !== '_all')
          .map((m) => m.toUpperCase());
        for (const p of Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path]) out.push({ path: `${prefix}${p}`, methods });
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, `${prefix}${mount}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: LayerLike[] } }).router.stack, '');
  return out;
}

/** Param names by position if `segments` (raw, still %-encoded) match `template`; else undefined. */
export function matchTemplate(template: string, segments: readonly string[]): (string | undefined)[] | undefined {
  const parts = template.split('/').slice(1);
  const names: (string | undefined)[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.startsWith('*')) {
      if (segments.length <= i) return undefined;
      for (let j = i; j < segments.length; j++) names.push(part.slice(1));
      return names;
    }
    const segment = segments[i];
    if (segment === undefined || segment === '') return undefined;
    if (part.startsWith(':')) names.push(part.slice(1));
    else if (part === segment) names.push(undefined);
    else return undefined;
  }
  return segments.length === parts.length ? names : undefined;
}

const routeCache = new WeakMap<object, RouteInfo[]>();

/** Routes of the app this request is served by (listed once per app). */
export function routesOf(req: Request): RouteInfo[] {
  let routes = routeCache.get(req.app);
  if (!routes) {
    routes = listRoutes(req.app);
    routeCache.set(req.app, routes);
  }
  return routes;
}

function splitPath(fullPath: string): string[] {
  const segments = fullPath.split('/').slice(1);
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop(); // trailing slash
  return segments;
}

/**
 * Path segments that cannot be decoded are thrown now (the router would fail on them before any
 * role check); undecodable text is only a malformed URL, not a validation detail.
 */
function pathIssues(req: Request): { undecodable: FieldError[]; text: FieldError[] } {
  const segments = splitPath(`${req.baseUrl}${req.path}`);
  const names = routesOf(req)
    .map((r) => matchTemplate(r.path, segments))
    .find((n) => n !== undefined);
  const undecodable: FieldError[] = [];
  const text: FieldError[] = [];
  segments.forEach((segment, i) => {
    const name = names?.[i];
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      undecodable.push({ path: name ? `path.${name}` : 'path', message: 'contains an invalid %-escape' });
      return;
    }
    const problem = unstorableText(decoded);
    if (problem) text.push({ path: name ? `path.${name}` : 'path', message: problem });
  });
  return { undecodable, text };
}

/** Query and path rules for one request; path decoding failures throw, the rest is deferred. */
export function guardQueryAndPath(req: Request, res: Response): void {
  const path = pathIssues(req);
  if (path.undecodable.length > 0) throw new HttpProblem(400, 'bad-path', 'the request path has an invalid %-escape', path.undecodable);
  if (path.text.length > 0) defer(res, problemFor('path', path.text));
  const query = queryIssues(req.query);
  if (query.length > 0) defer(res, problemFor('query', query));
}

/**
 * The JSON body reader for every route: bounded size (413) while reading, then the depth pre-scan,
 * JSON.parse and the text/key rules. Any failure is deferred to the route's role check.
 */
export function guardedJsonBody(limitBytes = MAX_BODY_BYTES) {
  const read = express.text({ type: JSON_TYPES, limit: limitBytes, defaultCharset: 'utf-8' });
  return (req: Request, res: Response, next: NextFunction): void => {
    guardQueryAndPath(req, res);
    read(req, res, (err?: unknown) => {
      if (err !== undefined) {
        defer(res, err);
        req.body = undefined;
        return next();
      }
      const text: unknown = req.body;
      if (typeof text !== 'string' || text.length === 0) {
        req.body = undefined;
        return next();
      }
      try {
        req.body = parseGuardedJson(text);
      } catch (problem) {
        req.body = undefined;
        defer(res, problem);
      }
      next();
    });
  };
}
