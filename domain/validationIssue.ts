/**
 * One problem found in a runbook, a parameter set or a catalogue. Paths use the author's view of the
 * document (`steps[2].needs[0]`, `params.version.type`) so the API can return them as problem+json
 * `errors` and editors can point at the spot; `line` is filled in when the source was YAML.
 */
export interface ValidationIssue {
  path: string;
  message: string;
  /** 1-based line in the YAML source, when known. */
  line?: number;
  /** For dependency cycles: the step ids around the cycle, first id repeated at the end. */
  cycle?: string[];
}

export type PathSegment = string | number;

/** Issues are collected with structured paths and formatted once, so YAML lines can be looked up. */
export interface RawIssue {
  path: PathSegment[];
  message: string;
  cycle?: string[];
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** `file:line path: message`, the shape used in catalogue errors and logs. */
export function formatIssue(issue: ValidationIssue, file?: string): string {
  const where = [file, issue.line].filter((part) => part !== undefined && part !== '').join(':');
  const head = [where, issue.path].filter(Boolean).join(' ');
  return head ? `${head}: ${issue.message}` : issue.message;
}

export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/** Human description of a value's JSON type, for "got …" in messages. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value;
}

const PREVIEW_CHARS = 80;

/**
 * A received value for "got …" in messages, without serialising it: JSON.stringify recurses as deep
 * as the value nests (a 5 000-deep array overflows the stack) and echoes whatever size was sent.
 * Strings are quoted and cut to PREVIEW_CHARS; objects and arrays are named by their type.
 */
export function previewValue(value: unknown): string {
  if (typeof value === 'string') {
    const cut = value.length > PREVIEW_CHARS ? `${value.slice(0, PREVIEW_CHARS)}…` : value;
    return JSON.stringify(cut);
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === undefined) return 'nothing';
  return describeType(value);
}
