import { parseRunbookYaml, type ValidationIssue } from '../../domain/runbookValidator';

/**
 * Strips the common indentation of a template literal (and its first newline) so YAML can be
 * written indented in tests while line numbers still count from the first content line.
 */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((out, s, i) => out + s + (i < values.length ? String(values[i]) : ''), '');
  const lines = text
    .replace(/^\n/, '')
    .replace(/\n\s*$/, '')
    .split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n') + '\n';
}

/** The issues of a document that must be invalid; fails the test if it validated. */
export function issuesOf(text: string, knownRunbooks?: ReadonlySet<string>): ValidationIssue[] {
  const result = parseRunbookYaml(text, knownRunbooks ? { knownRunbooks } : {});
  if (result.ok) throw new Error('expected the runbook to be invalid, but it validated');
  return result.issues;
}

/** The definition of a document that must be valid; fails with the issues otherwise. */
export function definitionOf(text: string, knownRunbooks?: ReadonlySet<string>) {
  const result = parseRunbookYaml(text, knownRunbooks ? { knownRunbooks } : {});
  if (!result.ok) throw new Error(`expected a valid runbook, got:\n${JSON.stringify(result.issues, null, 2)}`);
  return result.definition;
}

/** A small valid runbook whose steps can be swapped out by tests. */
export function withSteps(steps: string, params = 'service: { type: string, required: true }'): string {
  const indent = (block: string, spaces: number) =>
    block
      .split('\n')
      .map((l) => (l.trim() ? ' '.repeat(spaces) + l : l))
      .join('\n');
  return `name: demo\nparams:\n${indent(params, 2)}\nsteps:\n${indent(steps, 2)}\n`;
}
