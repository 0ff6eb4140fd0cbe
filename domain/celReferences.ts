/**
 * What a CEL expression refers to, found by scanning its text rather than walking cel-js's AST (an
 * internal format that may change between versions). The scan is deliberately simple: string
 * literals are blanked first so `'params.x'` is not a reference, then a few regular expressions pick
 * out `params.X`, `params['X']`, `steps.Y`, `steps['Y']` and the free identifiers the expression uses.
 */

export interface ExpressionReferences {
  /** Parameter names read via `params.X` or `params['X']`. */
  params: string[];
  /** Step ids read via `steps.Y` or `steps['Y']`; `steps.a-b` is listed as `a` (CEL reads a minus b). */
  steps: string[];
  /** `steps.a-b` spellings: a hyphenated id written with a dot, which CEL parses as subtraction. */
  hyphenated: string[];
  /** Identifiers not reached through a `.`, excluding function names and macro variables. */
  roots: string[];
}

const STRING_LITERAL = /(?:\b[rRbB]{1,2})?(?:"""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\[\s\S]|[^"\\])*"|'(?:\\[\s\S]|[^'\\])*')/g;
const BRACKET_REF = /(?<![\w.$])(params|steps)\s*\[\s*(?:'([^'\\]*)'|"([^"\\]*)")\s*\]/g;
const PARAM_REF = /(?<![\w.$])params\s*\.\s*([A-Za-z_]\w*)/g;
const STEP_REF = /(?<![\w.$])steps\s*\.\s*([A-Za-z_]\w*(?:-\w+)*)/g;
/** Comprehension macros bind their first argument(s) as variables: `list.exists(x, x > 1)`. */
const MACRO_VARS = /\.\s*(?:all|exists|exists_one|existsOne|map|filter|sortBy|transformList|transformMap)\s*\(\s*([A-Za-z_]\w*)\s*,(?:\s*([A-Za-z_]\w*)\s*,)?/g;
const BIND_VAR = /\bbind\s*\(\s*([A-Za-z_]\w*)\s*,/g;
/** An identifier not preceded by a `.` (member access) nor part of a number such as 1e5 or 0x1F. */
const IDENTIFIER = /(?<![\w$]|\.\s*)([A-Za-z_]\w*)\b(?!\s*\()/g;

/** Literals, keywords and type names that may appear bare in an expression. */
const BUILTIN_NAMES = new Set(['true', 'false', 'null', 'in', 'int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'type', 'null_type', 'dyn']);

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** Replaces every string literal with `""`, keeping the rest of the text (and its offsets) intact. */
export function blankStrings(expression: string): string {
  return expression.replace(STRING_LITERAL, (literal) => `"${' '.repeat(Math.max(0, literal.length - 2))}"`);
}

export function scanReferences(expression: string): ExpressionReferences {
  const params: string[] = [];
  const steps: string[] = [];
  const hyphenated: string[] = [];

  for (const match of expression.matchAll(BRACKET_REF)) {
    const name = match[2] ?? match[3] ?? '';
    (match[1] === 'params' ? params : steps).push(name);
  }

  const code = blankStrings(expression);
  for (const match of code.matchAll(PARAM_REF)) params.push(match[1]!);
  for (const match of code.matchAll(STEP_REF)) {
    const spelled = match[1]!;
    const head = spelled.split('-')[0]!;
    steps.push(head);
    if (spelled !== head) hyphenated.push(spelled);
  }

  const bound = new Set<string>();
  for (const match of code.matchAll(MACRO_VARS)) {
    bound.add(match[1]!);
    if (match[2]) bound.add(match[2]);
  }
  for (const match of code.matchAll(BIND_VAR)) bound.add(match[1]!);
  const roots = [...code.matchAll(IDENTIFIER)].map((m) => m[1]!).filter((name) => !BUILTIN_NAMES.has(name) && !bound.has(name));

  return { params: unique(params), steps: unique(steps), hyphenated: unique(hyphenated), roots: unique(roots) };
}

const STEPS_ROOT = /(?<![\w.$])steps\b/g;

/**
 * `context` with only the steps `expression` reads, when every read names its step literally
 * (`steps.Y`, `steps['Y']`); otherwise (`steps[name]`, `steps` passed whole) all of them. A step's
 * assertion travels with its activity input, so it must not carry every earlier step's output.
 */
export function withReferencedSteps<C extends { steps: Record<string, unknown> }>(expression: string, context: C): C {
  const code = blankStrings(expression);
  const roots = [...code.matchAll(STEPS_ROOT)].length;
  if (roots === 0) return { ...context, steps: {} };
  const literal = [...code.matchAll(STEP_REF)].length + [...expression.matchAll(BRACKET_REF)].filter((m) => m[1] === 'steps').length;
  if (literal !== roots) return context;
  const steps: Record<string, unknown> = {};
  for (const id of scanReferences(expression).steps) if (Object.hasOwn(context.steps, id)) steps[id] = context.steps[id];
  return { ...context, steps };
}
