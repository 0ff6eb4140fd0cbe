import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';

/**
 * The alert's own expression is primary evidence. Parsed with the official PromQL grammar (the
 * Prometheus UI's), it is taken apart into what can be queried on its own:
 * - `condition`: for `<expr> > 0.05` the expression without its threshold, so the value of every
 *   series (not only those that fire) can be compared with it;
 * - `parts`: for `a / b` (after the threshold is removed) the operands `a` and `b`, so the evidence
 *   says whether the numerator rose or the denominator fell;
 * - `selectors`: the raw vector selectors (`x{…}` of `rate(x[5m])`), whose series' labels say
 *   which services and instances the alert is about.
 * Pure (no I/O); an expression that does not parse gives only itself.
 */
export interface AlertCondition {
  /** The side that is not the threshold. */
  expr: string;
  op: '>' | '<' | '>=' | '<=' | '==' | '!=';
  threshold: number;
}

export interface DecomposedExpression {
  expr: string;
  condition?: AlertCondition;
  parts: string[];
  selectors: { text: string; metric?: string }[];
}

const COMPARISONS: Record<string, AlertCondition['op']> = { Gtr: '>', Lss: '<', Gte: '>=', Lte: '<=', Eql: '==', Neq: '!=' };
const ARITHMETIC = new Set(['Div', 'Mul', 'Add', 'Sub', 'Mod']);

export function decomposeAlertExpression(expr: string): DecomposedExpression {
  const tree = parser.parse(expr);
  let broken = false;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) broken = true;
      return !broken;
    },
  });
  if (broken) return { expr, parts: [], selectors: [] };
  const text = (n: SyntaxNode) => expr.slice(n.from, n.to);
  const root = unwrap(tree.topNode.firstChild);
  const out: DecomposedExpression = { expr, parts: [], selectors: [] };
  let body = root;
  const bin = root && binary(root);
  if (bin && COMPARISONS[bin.op]) {
    const lhsNumber = numberOf(bin.lhs, expr);
    const rhsNumber = numberOf(bin.rhs, expr);
    // `x > 5` or `5 < x`: the threshold is the literal side; flip the operator when it is on the left.
    if (rhsNumber !== undefined && lhsNumber === undefined) {
      out.condition = { expr: text(bin.lhs), op: COMPARISONS[bin.op]!, threshold: rhsNumber };
      body = unwrap(bin.lhs);
    } else if (lhsNumber !== undefined && rhsNumber === undefined) {
      out.condition = { expr: text(bin.rhs), op: flip(COMPARISONS[bin.op]!), threshold: lhsNumber };
      body = unwrap(bin.rhs);
    }
  }
  const inner = body && binary(body);
  if (inner && ARITHMETIC.has(inner.op)) {
    for (const side of [inner.lhs, inner.rhs]) if (numberOf(side, expr) === undefined) out.parts.push(text(unwrap(side) ?? side));
  }
  const seen = new Set<string>();
  tree.iterate({
    enter(n) {
      if (n.name !== 'VectorSelector') return undefined;
      const t = text(n.node);
      if (!seen.has(t)) {
        seen.add(t);
        const id = n.node.getChild('Identifier');
        out.selectors.push({ text: t, ...(id ? { metric: text(id) } : {}) });
      }
      return false;
    },
  });
  return out;
}

/** Does `value` satisfy the alert's condition? */
export function satisfies(value: number, c: Pick<AlertCondition, 'op' | 'threshold'>): boolean {
  switch (c.op) {
    case '>':
      return value > c.threshold;
    case '<':
      return value < c.threshold;
    case '>=':
      return value >= c.threshold;
    case '<=':
      return value <= c.threshold;
    case '==':
      return value === c.threshold;
    case '!=':
      return value !== c.threshold;
  }
}

function flip(op: AlertCondition['op']): AlertCondition['op'] {
  return ({ '>': '<', '<': '>', '>=': '<=', '<=': '>=', '==': '==', '!=': '!=' } as const)[op];
}

function unwrap(n: SyntaxNode | null | undefined): SyntaxNode | undefined {
  let cur = n ?? undefined;
  while (cur && cur.name === 'ParenExpr') cur = cur.firstChild ?? undefined;
  return cur;
}

function binary(n: SyntaxNode): { lhs: SyntaxNode; op: string; rhs: SyntaxNode } | undefined {
  if (n.name !== 'BinaryExpr') return undefined;
  const kids: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) kids.push(c);
  const opIndex = kids.findIndex((k) => COMPARISONS[k.name] !== undefined || ARITHMETIC.has(k.name) || ['Pow', 'And', 'Or', 'Unless', 'Atan2'].includes(k.name));
  if (opIndex <= 0) return undefined;
  const lhs = kids[0]!;
  const rhs = kids[kids.length - 1]!;
  if (rhs === kids[opIndex]) return undefined;
  return { lhs, op: kids[opIndex]!.name, rhs };
}

function numberOf(n: SyntaxNode, expr: string): number | undefined {
  const u = unwrap(n);
  if (!u) return undefined;
  if (u.name === 'NumberDurationLiteral' || u.name === 'NumberLiteral') {
    const v = Number(expr.slice(u.from, u.to));
    return Number.isFinite(v) ? v : undefined;
  }
  if (u.name === 'UnaryExpr') {
    const v = numberOf(u.lastChild!, expr);
    return v === undefined ? undefined : expr.slice(u.from, u.to).trim().startsWith('-') ? -v : v;
  }
  return undefined;
}
