import { evaluate, parse } from '@marcbachmann/cel-js';

/**
 * CEL (Common Expression Language) for `when:`, `assert:` and `${{ }}` templates. Pure code with no
 * Node built-ins, so workflows may import it: evaluation is deterministic and replay-safe.
 */

export class ExpressionError extends Error {
  constructor(
    readonly expression: string,
    message: string,
  ) {
    super(`${message} in expression \`${expression}\``);
    this.name = 'ExpressionError';
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** Throws ExpressionError when the expression does not parse. */
export function checkSyntax(expression: string): void {
  try {
    parse(expression);
  } catch (err) {
    throw new ExpressionError(expression, firstLine((err as Error).message));
  }
}

/** Plain JSON-like objects, including ones made in another realm (Jest, a vm context) whose Object differs. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  return proto === null || proto.constructor?.name === 'Object';
}

/** CEL integers come back as BigInt; JSON (and Temporal payloads) need plain numbers. */
export function toPlain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[String(k)] = toPlain(v);
    return out;
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toPlain(v);
    return out;
  }
  return value;
}

/**
 * JSON has one number type; CEL has int and double and no mixed arithmetic. Whole numbers become CEL
 * ints (as protobuf JSON does), so `params.replicas + 1` works; write `2.0` to mix with doubles.
 */
function toCel(value: unknown): unknown {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return Array.from(value as unknown[], toCel);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toCel(v);
    return out;
  }
  return value;
}

export function evaluateExpression(expression: string, context: Record<string, unknown>): unknown {
  try {
    return toPlain(evaluate(expression, toCel(context) as Record<string, unknown>));
  } catch (err) {
    throw new ExpressionError(expression, firstLine((err as Error).message));
  }
}

export function evaluateCondition(expression: string, context: Record<string, unknown>): boolean {
  const value = evaluateExpression(expression, context);
  if (typeof value !== 'boolean') {
    throw new ExpressionError(expression, `must evaluate to a boolean, got ${typeof value}`);
  }
  return value;
}
