import { checkSyntax } from './cel';
import { scanReferences } from './celReferences';
import type { LooseStep } from './runbookGraph';
import { hint } from './suggest';
import { checkTemplateSyntax, templateExpressions } from './template';
import type { PathSegment, RawIssue } from './validationIssue';

/**
 * Syntax and reference checks for every expression in a step: `when`, `assert`, foreach `items`,
 * and each `${{ }}` template in the step's strings. A reference is wrong when it names an
 * undeclared parameter, a step that is not guaranteed to have finished (not reachable through
 * `needs`), or a variable that does not exist where the expression runs (`item` outside a foreach
 * action, `output` outside `assert`).
 */

export interface ExpressionScope {
  paramNames: readonly string[];
  stepIds: readonly string[];
  /** The referring step's transitive dependencies. */
  dependencies: ReadonlySet<string>;
}

interface Site {
  path: PathSegment[];
  /** Variables visible at this site besides params, steps, env and backends. */
  extra: readonly string[];
  /** Compensation runs after its step succeeded, so it may read that step's own output. */
  allowSelf: boolean;
}

const BASE_ROOTS = ['params', 'steps', 'env', 'backends'];
/** Fields holding plain CEL or structure, never templates. */
const NOT_TEMPLATED = new Set(['id', 'type', 'needs', 'when', 'assert', 'items', 'step', 'compensate']);

function checkReferences(step: LooseStep, scope: ExpressionScope, site: Site, expression: string): RawIssue[] {
  const issues: RawIssue[] = [];
  const report = (message: string) => issues.push({ path: site.path, message });
  const refs = scanReferences(expression);
  const self = step.id;

  for (const name of refs.params) {
    if (scope.paramNames.includes(name)) continue;
    const known = scope.paramNames.length ? hint(name, scope.paramNames, 'declared') : '; this runbook declares no parameters';
    report(`unknown parameter "${name}"${known}`);
  }

  const spelledAsMinus = new Set<string>();
  const minusTails = new Set<string>();
  for (const spelled of refs.hyphenated) {
    if (!scope.stepIds.includes(spelled)) continue;
    const [head, ...tails] = spelled.split('-');
    spelledAsMinus.add(head!);
    tails.forEach((tail) => minusTails.add(tail));
    report(`write steps['${spelled}']: CEL reads steps.${spelled} as steps.${spelled.replace('-', ' - ')}`);
  }
  for (const id of refs.steps) {
    if (spelledAsMinus.has(id) && !scope.stepIds.includes(id)) continue;
    if (!scope.stepIds.includes(id)) report(`unknown step "${id}"${hint(id, scope.stepIds, 'known steps')}`);
    else if (id === self) {
      if (!site.allowSelf) {
        report(`step "${id}" cannot read its own result here (it has not finished yet)${site.extra.includes('output') ? '; use output' : ''}`);
      }
    } else if (!scope.dependencies.has(id)) {
      report(`steps.${id} may not have run yet: add "${id}" to the needs of "${self ?? 'this step'}" (directly or through another step)`);
    }
  }

  const visible = [...BASE_ROOTS, ...site.extra];
  for (const root of refs.roots) {
    if (visible.includes(root) || minusTails.has(root)) continue;
    if (root === 'item' || root === 'index') report(`${root} exists only inside a foreach step's "step"`);
    else if (root === 'output') report('output exists only in assert expressions');
    else report(`unknown name "${root}"${hint(root, visible, 'expressions can read')}`);
  }
  return issues;
}

/** A field that holds plain CEL, such as `when:` or `assert:`. */
function checkCel(step: LooseStep, scope: ExpressionScope, site: Site, expression: string): RawIssue[] {
  const field = String(site.path[site.path.length - 1]);
  if (expression.includes('${{')) {
    return [{ path: site.path, message: `${field} is a CEL expression, not a template: write it without \${{ }}` }];
  }
  if (!expression.trim()) return [{ path: site.path, message: `${field} must not be empty` }];
  try {
    checkSyntax(expression);
  } catch (err) {
    return [{ path: site.path, message: `invalid CEL: ${(err as Error).message}` }];
  }
  return checkReferences(step, scope, site, expression);
}

/** Every string under `value`, with its templates checked. */
function checkTemplates(step: LooseStep, scope: ExpressionScope, site: Site, value: unknown): RawIssue[] {
  if (typeof value === 'string') {
    const opened = value.split('${{').length - 1;
    const found = templateExpressions(value);
    const issues: RawIssue[] = [];
    if (opened > found.length) issues.push({ path: site.path, message: 'unterminated ${{ template: close it with }}' });
    const broken = new Set<string>();
    for (const problem of checkTemplateSyntax(value)) {
      broken.add(problem.expression);
      issues.push({ path: site.path, message: `invalid template: ${problem.error}` });
    }
    for (const { expression } of found) {
      if (!broken.has(expression)) issues.push(...checkReferences(step, scope, site, expression));
    }
    return issues;
  }
  const entries: [PathSegment, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : value !== null && typeof value === 'object' ? Object.entries(value) : [];
  return entries.flatMap(([key, child]) => checkTemplates(step, scope, { ...site, path: [...site.path, key] }, child));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function checkStepExpressions(step: LooseStep, scope: ExpressionScope): RawIssue[] {
  const issues: RawIssue[] = [];
  const base = ['steps', step.index];
  const site = (extra: string[], ...rest: PathSegment[]): Site => ({ path: [...base, ...rest], extra, allowSelf: false });
  const raw = step.raw;

  if (typeof raw.when === 'string') issues.push(...checkCel(step, scope, site([], 'when'), raw.when));
  if (typeof raw.assert === 'string' && (step.type === 'http' || step.type === 'query')) {
    issues.push(...checkCel(step, scope, site(['output'], 'assert'), raw.assert));
  }

  for (const [key, value] of Object.entries(raw)) {
    if (!NOT_TEMPLATED.has(key)) issues.push(...checkTemplates(step, scope, site([], key), value));
  }

  if (isRecord(raw.compensate)) {
    for (const [key, value] of Object.entries(raw.compensate)) {
      if (key === 'type') continue;
      issues.push(...checkTemplates(step, scope, { ...site([], 'compensate', key), allowSelf: true }, value));
    }
  }

  if (step.type === 'foreach') {
    if (typeof raw.items === 'string' && raw.items) {
      issues.push(...(raw.items.includes('${{') ? checkTemplates(step, scope, site([], 'items'), raw.items) : checkCel(step, scope, site([], 'items'), raw.items)));
    } else if (Array.isArray(raw.items)) {
      issues.push(...checkTemplates(step, scope, site([], 'items'), raw.items));
    }
    if (isRecord(raw.step)) {
      for (const [key, value] of Object.entries(raw.step)) {
        if (key === 'type') continue;
        if (key === 'assert' && typeof value === 'string') {
          issues.push(...checkCel(step, scope, site(['item', 'index', 'output'], 'step', 'assert'), value));
        } else {
          issues.push(...checkTemplates(step, scope, site(['item', 'index'], 'step', key), value));
        }
      }
    }
  }
  return issues;
}
