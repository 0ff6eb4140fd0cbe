/**
 * Storage-safe text. Postgres `text` and `jsonb` cannot hold U+0000, and `jsonb` (like PGlite's
 * UTF-8 encoder and any strict JSON consumer) rejects an unpaired UTF-16 surrogate. Such characters
 * arrive from places nobody validates — a signal typed into the Temporal UI, command output, a
 * Prometheus label — and one of them used to fail a write that was then retried forever, wedging
 * the workflow behind it. So the data layer replaces them with U+FFFD before writing: the value is
 * kept (visibly marked) instead of the whole event or row being lost.
 */
export const REPLACEMENT_CHAR = '\uFFFD';

/** NUL, or a surrogate that is not half of a well-formed pair. */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function sanitizeText(value: string): string {
  return value.replace(UNSTORABLE, REPLACEMENT_CHAR);
}

/**
 * A deep copy of a JSON-like value with every string and every object key sanitised. Values JSON
 * drops or rewrites (undefined, functions, Dates via toJSON) are left for JSON.stringify to handle.
 */
export function sanitizeJson(value: unknown): unknown {
  if (typeof value === 'string') return sanitizeText(value);
  if (Array.isArray(value)) return value.map(sanitizeJson);
  if (value !== null && typeof value === 'object') {
    const toJson = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJson === 'function') return sanitizeJson((toJson as () => unknown).call(value));
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[sanitizeText(key)] = sanitizeJson(v);
    return out;
  }
  return value;
}

/** The text to bind to a `$n::jsonb` parameter. */
export function toJsonb(value: unknown): string {
  return JSON.stringify(sanitizeJson(value)) ?? 'null';
}

/**
 * Bound parameters of every query (both backends call this once): raw strings and string arrays
 * are sanitised. JSON text is not second-guessed here — an escaped `\u0000` inside a string may be
 * a user's literal text — which is why jsonb writers go through `toJsonb`.
 */
export function sanitizeParams(params: readonly unknown[] | undefined): unknown[] | undefined {
  if (!params) return undefined;
  return params.map((p) => (typeof p === 'string' ? sanitizeText(p) : Array.isArray(p) ? p.map((x: unknown) => (typeof x === 'string' ? sanitizeText(x) : x)) : p));
}
