import type { ParamSpec } from './runbook';
import { hint } from './suggest';
import type { ValidationIssue } from './validationIssue';

/**
 * Checks the parameters a caller supplies for a run against the runbook's `params` and applies
 * defaults. The API calls this before starting a run, and a parent run before starting a child, so
 * the workflow only ever sees resolved parameters.
 *
 * Rules: unknown names are rejected (a typo must not silently fall back to a default); `null` counts
 * as "not given"; optional parameters without a default are left out (test with `has(params.x)`);
 * `pattern` is a JavaScript RegExp tested as written, so authors anchor it with `^…$`.
 */

export type ParamValueSpec = Pick<ParamSpec, 'type' | 'enum' | 'pattern' | 'minimum' | 'maximum'>;

export type ResolveParamsResult = { ok: true; params: Record<string, unknown> } | { ok: false; issues: ValidationIssue[] };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function got(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  return typeof value;
}

/** Why `value` does not fit the spec's type alone, or undefined. */
export function checkParamType(type: ParamSpec['type'], value: unknown): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : `must be a string, got ${got(value)}`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `must be a number, got ${got(value)}`;
    case 'integer':
      return Number.isSafeInteger(value) ? undefined : `must be an integer (a whole number), got ${got(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be a boolean, got ${got(value)}`;
    case 'array':
      return Array.isArray(value) ? undefined : `must be an array, got ${got(value)}`;
    case 'object':
      return isPlainObject(value) ? undefined : `must be an object, got ${got(value)}`;
  }
}

/** Why `value` is not acceptable for the spec (type, enum, pattern, range), or undefined. */
export function checkParamValue(spec: ParamValueSpec, value: unknown): string | undefined {
  const typeProblem = checkParamType(spec.type, value);
  if (typeProblem) return typeProblem;
  if (spec.enum && !spec.enum.some((allowed) => allowed === value)) {
    return `must be one of ${spec.enum.join(', ')}`;
  }
  if (spec.pattern !== undefined && typeof value === 'string') {
    let re: RegExp;
    try {
      re = new RegExp(spec.pattern);
    } catch {
      return `cannot be checked: the runbook's pattern ${spec.pattern} is not a valid regular expression`;
    }
    if (!re.test(value)) return `must match the pattern ${spec.pattern}`;
  }
  if (typeof value === 'number') {
    if (spec.minimum !== undefined && value < spec.minimum) return `must be >= ${spec.minimum}`;
    if (spec.maximum !== undefined && value > spec.maximum) return `must be <= ${spec.maximum}`;
  }
  return undefined;
}

/** Defaults are copied so a run that mutates its params can never change the catalogue's definition. */
function copy(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function resolveParams(specs: Record<string, ParamSpec>, input: unknown): ResolveParamsResult {
  const given = input === undefined ? {} : input;
  if (!isPlainObject(given)) {
    return { ok: false, issues: [{ path: 'params', message: `must be an object, got ${got(given)}` }] };
  }

  const issues: ValidationIssue[] = [];
  const declared = Object.keys(specs);
  for (const name of Object.keys(given)) {
    // Prototype keys are refused whatever the runbook declares: params reach the workflow from chat
    // and incident actions too, not only through the API's boundary rule.
    if (PROTOTYPE_KEYS.has(name)) {
      issues.push({ path: `params.${name}`, message: 'prototype keys (__proto__, constructor, prototype) are not allowed' });
      continue;
    }
    if (!Object.hasOwn(specs, name)) {
      const known = declared.length ? hint(name, declared, 'declared') : '; this runbook takes no parameters';
      issues.push({ path: `params.${name}`, message: `unknown parameter${known}` });
    }
  }

  const params: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const value = Object.hasOwn(given, name) ? given[name] : undefined;
    if (value === undefined || value === null) {
      if (spec.required) issues.push({ path: `params.${name}`, message: 'is required' });
      else if (spec.default !== undefined) params[name] = copy(spec.default);
      continue;
    }
    const problem = checkParamValue(spec, value);
    if (problem) issues.push({ path: `params.${name}`, message: problem });
    else params[name] = value;
  }

  return issues.length ? { ok: false, issues } : { ok: true, params };
}
