import type { z } from 'zod';
import { hint } from './suggest';
import { describeType, previewValue, type PathSegment, type RawIssue, valueAt } from './validationIssue';

/**
 * Turns zod's issues into messages a runbook author can act on: which field is missing, which key is
 * unknown (with a "did you mean"), which step type exists. Custom messages written in the schema are
 * kept as they are.
 */

/** The parts of zod 4's issue union we read; everything else falls back to zod's own message. */
interface LooseIssue {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: string;
  keys?: string[];
  values?: unknown[];
  options?: unknown[];
  note?: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  errors?: LooseIssue[][];
}

interface ZodDef {
  type: string;
  shape?: Record<string, ZodLike>;
  innerType?: ZodLike;
  in?: ZodLike;
  element?: ZodLike;
  valueType?: ZodLike;
  options?: ZodLike[];
  discriminator?: string;
  values?: unknown[];
}
interface ZodLike {
  _zod: { def: ZodDef };
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional']);

function unwrap(schema: ZodLike): ZodLike {
  let current = schema;
  for (let i = 0; i < 20; i++) {
    const def = current._zod.def;
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else break;
  }
  return current;
}

/** Follows `path` through the schema, choosing discriminated-union options by the input's value. */
function schemaAt(root: ZodLike, input: unknown, path: readonly PathSegment[]): ZodLike | undefined {
  let schema: ZodLike | undefined = unwrap(root);
  for (let i = 0; i <= path.length && schema; i++) {
    let def: ZodDef = schema._zod.def;
    if (def.type === 'union' && def.discriminator && def.options) {
      const tag = valueAt(input, [...path.slice(0, i), def.discriminator]);
      const discriminator = def.discriminator;
      schema = def.options.find((option) => {
        const field = unwrap(option)._zod.def.shape?.[discriminator];
        return field?._zod.def.values?.includes(tag) ?? false;
      });
      if (!schema) return undefined;
      schema = unwrap(schema);
      def = schema._zod.def;
    }
    if (i === path.length) break;
    const segment = path[i]!;
    const next: ZodLike | undefined = def.type === 'object' ? def.shape?.[String(segment)] : def.type === 'array' ? def.element : def.type === 'record' ? def.valueType : undefined;
    schema = next ? unwrap(next) : undefined;
  }
  return schema;
}

function article(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/** What kind of `type` a discriminated union picks at this path, for the error message. */
function unionNoun(path: readonly PathSegment[]): string {
  const parent = path[path.length - 2];
  if (parent === 'compensate') return 'compensation type';
  if (parent === 'step') return 'foreach action type';
  return 'step type';
}

function sizeMessage(issue: LooseIssue, big: boolean): string {
  const bound = Number(big ? issue.maximum : issue.minimum);
  const inclusive = issue.inclusive !== false;
  if (issue.origin === 'string') {
    if (!big && bound === 1) return 'must not be empty';
    return `must be ${big ? 'at most' : 'at least'} ${bound} characters`;
  }
  if (issue.origin === 'array' || issue.origin === 'set') {
    if (!big && bound === 1) return 'must not be empty';
    return `must have ${big ? 'at most' : 'at least'} ${bound} items`;
  }
  const op = big ? (inclusive ? '<=' : '<') : inclusive ? '>=' : '>';
  return `must be ${op} ${bound}`;
}

const DURATION_FIELDS = new Set(['timeout', 'duration', 'initialInterval', 'maximumInterval']);

/** zod's default messages start like this; anything else was written by a schema author. */
const DEFAULT_MESSAGE = /^(Invalid|Too (small|big)|Unrecognized)/;

function convertOne(issue: LooseIssue, input: unknown, schema: ZodLike): RawIssue[] {
  const path = issue.path.filter((p): p is PathSegment => typeof p === 'string' || typeof p === 'number');
  const value = valueAt(input, path);
  const field = path[path.length - 1];

  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = Object.keys(schemaAt(schema, input, path)?._zod.def.shape ?? {});
      return (issue.keys ?? []).map((key) => ({
        path: [...path, key],
        message: `unknown field "${key}"${hint(key, allowed, 'allowed')}`,
      }));
    }
    case 'invalid_union': {
      if (issue.note === 'No matching discriminator') {
        const expected = (issue.options ?? []).map(String).join(', ');
        const noun = unionNoun(path);
        const message = value === undefined ? `missing required field "type"; expected one of ${expected}` : `unknown ${noun} ${previewValue(value)}; expected one of ${expected}`;
        return [{ path, message }];
      }
      // A plain union (e.g. foreach `items`): a wrong type is reported once; otherwise explain the
      // first option whose type matched.
      const branches = issue.errors ?? [];
      const typeOnly = branches.every((b) => b.length === 1 && b[0]?.code === 'invalid_type' && b[0].path.length === 0);
      if (typeOnly && branches.length > 0) {
        const expected = branches.map((b) => b[0]?.expected ?? '?').join(' or ');
        return [{ path, message: `must be ${article(expected)}, got ${describeType(value)}` }];
      }
      const informative = branches.find((b) => !(b.length === 1 && b[0]?.code === 'invalid_type'));
      if (informative) {
        return informative.flatMap((inner) => convertOne({ ...inner, path: [...path, ...inner.path] }, input, schema));
      }
      return [{ path, message: issue.message }];
    }
    case 'invalid_type': {
      if (value === undefined && field !== undefined) {
        return [{ path, message: `missing required field "${String(field)}"` }];
      }
      if (issue.expected === 'int' && typeof value === 'number') {
        return [{ path, message: `must be a whole number, got ${value}` }];
      }
      const expected = issue.expected === 'int' ? 'integer' : (issue.expected ?? 'value');
      let message = `must be ${article(expected)}, got ${describeType(value)}`;
      if (typeof field === 'string' && DURATION_FIELDS.has(field) && typeof value === 'number') {
        message = `must be a duration with a unit, such as "30s" or "5m", got ${value}`;
      }
      if (field === 'command' && typeof value === 'string') {
        message += ' (commands are argv lists, e.g. ["kubectl", "get", "pods"]; no shell is involved)';
      }
      return [{ path, message }];
    }
    case 'invalid_value': {
      const values = issue.values ?? [];
      // Allowed values come from the schema; the received one from the caller, so it is only previewed.
      const shown = values.map((v) => (typeof v === 'string' ? v : previewValue(v))).join(', ');
      const message = values.length === 1 ? `must be ${previewValue(values[0])}` : `must be one of ${shown}, got ${previewValue(value)}`;
      return [{ path, message }];
    }
    case 'too_small':
    case 'too_big':
      return [{ path, message: DEFAULT_MESSAGE.test(issue.message) ? sizeMessage(issue, issue.code === 'too_big') : issue.message }];
    case 'invalid_format':
      return [{ path, message: DEFAULT_MESSAGE.test(issue.message) ? `has an invalid format` : issue.message }];
    default:
      return [{ path, message: issue.message }];
  }
}

export function zodIssuesToRaw(error: z.ZodError, input: unknown, schema: z.ZodType): RawIssue[] {
  const root = schema as unknown as ZodLike;
  return (error.issues as unknown as LooseIssue[]).flatMap((issue) => convertOne(issue, input, root));
}
