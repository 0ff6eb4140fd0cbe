import { ParamSpec } from './runbook';
import { checkParamType, checkParamValue } from './runParams';
import type { RawIssue } from './validationIssue';

/**
 * Sanity checks on a runbook's `params` block that the schema cannot express: a default that could
 * never pass its own validation, a pattern that does not compile, an enum of the wrong type. Runs on
 * the raw document (not the parsed one) so these issues are reported alongside schema errors.
 */

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NUMERIC = new Set(['number', 'integer']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function checkParamSpecs(params: unknown): RawIssue[] {
  if (!isRecord(params)) return [];
  const issues: RawIssue[] = [];
  for (const [name, raw] of Object.entries(params)) {
    const at = (...rest: (string | number)[]) => ['params', name, ...rest];
    if (!PARAM_NAME.test(name)) {
      issues.push({
        path: at(),
        message: 'parameter names must be identifiers (letters, digits and "_", not starting with a digit) so expressions can read them as params.<name>',
      });
    }
    // Shape errors (unknown type, wrong field types) are the schema's to report.
    const parsed = ParamSpec.safeParse(raw);
    if (!parsed.success || !isRecord(raw)) continue;
    const spec = parsed.data;

    let patternCompiles = true;
    if (spec.pattern !== undefined) {
      try {
        new RegExp(spec.pattern);
      } catch (err) {
        patternCompiles = false;
        issues.push({ path: at('pattern'), message: `invalid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}` });
      }
      if (spec.type !== 'string') {
        issues.push({ path: at('pattern'), message: `pattern applies only to string parameters, not ${spec.type}` });
      }
    }
    for (const bound of ['minimum', 'maximum'] as const) {
      if (spec[bound] !== undefined && !NUMERIC.has(spec.type)) {
        issues.push({ path: at(bound), message: `${bound} applies only to number and integer parameters, not ${spec.type}` });
      }
    }
    if (spec.minimum !== undefined && spec.maximum !== undefined && spec.minimum > spec.maximum) {
      issues.push({ path: at('minimum'), message: `minimum ${spec.minimum} is greater than maximum ${spec.maximum}` });
    }
    spec.enum?.forEach((value, i) => {
      const problem = checkParamType(spec.type, value);
      if (problem) issues.push({ path: at('enum', i), message: `enum value ${problem}` });
    });

    if (spec.default !== undefined) {
      if (raw.required === true) {
        issues.push({
          path: at('default'),
          message: 'a required parameter cannot have a default (the default would never be used); drop one of them',
        });
      } else if (patternCompiles) {
        const problem = checkParamValue(spec, spec.default);
        if (problem) issues.push({ path: at('default'), message: `default ${problem}` });
      }
    }
  }
  return issues;
}
