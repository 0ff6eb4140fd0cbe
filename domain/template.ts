import { checkSyntax, evaluateExpression, ExpressionError } from './cel';

/**
 * `${{ <CEL> }}` templates inside runbook values, evaluated against { params, steps, env, backends,
 * item, index }. A string that is exactly one template keeps the
 * expression's type (a list stays a list); otherwise results are interpolated as text. Values are
 * substituted as data, never re-parsed, so a parameter cannot inject another template or a shell word.
 */
const TEMPLATE_RE = /\$\{\{\s*([\s\S]*?)\s*\}\}/g;
const WHOLE_RE = /^\$\{\{\s*([\s\S]*?)\s*\}\}$/;

export interface TemplateContext {
  params: Record<string, unknown>;
  steps: Record<string, { status: string; output?: unknown }>;
  env: Record<string, string>;
  /** Which optional backends the worker has configured, e.g. `backends.prometheus`, for `when:`. */
  backends: Record<string, boolean>;
  item?: unknown;
  index?: number;
}

/** Every expression inside a value, with its JSON-ish path, for validation. */
export function templateExpressions(value: unknown, path = ''): { path: string; expression: string }[] {
  if (typeof value === 'string') {
    return [...value.matchAll(TEMPLATE_RE)].map((m) => ({ path, expression: m[1] ?? '' }));
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => templateExpressions(v, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => templateExpressions(v, path ? `${path}.${k}` : k));
  }
  return [];
}

export function checkTemplateSyntax(value: unknown): { path: string; expression: string; error: string }[] {
  const problems: { path: string; expression: string; error: string }[] = [];
  for (const { path, expression } of templateExpressions(value)) {
    if (!expression) {
      problems.push({ path, expression, error: 'empty ${{ }} template' });
      continue;
    }
    try {
      checkSyntax(expression);
    } catch (err) {
      problems.push({ path, expression, error: (err as ExpressionError).message });
    }
  }
  return problems;
}

function toText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function renderString(template: string, context: TemplateContext): unknown {
  const ctx = context as unknown as Record<string, unknown>;
  const whole = WHOLE_RE.exec(template);
  if (whole && !whole[1]!.includes('}}')) return evaluateExpression(whole[1]!, ctx);
  return template.replace(TEMPLATE_RE, (_m, expression: string) => toText(evaluateExpression(expression, ctx)));
}

/** Renders every string in a JSON-like value. */
export function renderTemplate<T>(value: T, context: TemplateContext): T {
  if (typeof value === 'string') return renderString(value, context) as T;
  if (Array.isArray(value)) return (value as unknown[]).map((v) => renderTemplate(v, context)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderTemplate(v, context);
    return out as T;
  }
  return value;
}
