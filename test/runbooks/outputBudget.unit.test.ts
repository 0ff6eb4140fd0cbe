import { withReferencedSteps } from '../../domain/celReferences';
import { boundItems, boundOutput, boundRunState, isTruncatedOutput, jsonBytes, STEP_OUTPUT_MAX_BYTES } from '../../domain/outputBudget';
import type { RunState } from '../../domain/runState';

const kb = (n: number, ch = 'x') => ch.repeat(n * 1024);

describe('boundOutput', () => {
  test('keeps an output within the budget as it is (the same object)', () => {
    const output = { status: 200, body: { items: [kb(100)] } };
    expect(boundOutput(output)).toBe(output);
  });

  test('cuts an output over the budget to a preview that says how big it was', () => {
    const output = { body: kb(300) };
    const bounded = boundOutput(output);
    expect(isTruncatedOutput(bounded)).toBe(true);
    expect(bounded).toMatchObject({ truncated: true, bytes: jsonBytes(output) });
    expect((bounded as { preview: string }).preview).toHaveLength(4096);
    expect((bounded as { preview: string }).preview.startsWith('{"body":"xxx')).toBe(true);
  });

  test('counts UTF-8 bytes, not characters: 100 K three-byte characters are over 256 KiB', () => {
    const output = '€'.repeat(100 * 1024);
    expect(output.length).toBeLessThan(STEP_OUTPUT_MAX_BYTES);
    expect(isTruncatedOutput(boundOutput(output))).toBe(true);
    expect(boundOutput('€'.repeat(80 * 1024))).toBe('€'.repeat(80 * 1024));
  });

  test('undefined and null outputs pass', () => {
    expect(boundOutput(undefined)).toBeUndefined();
    expect(boundOutput(null)).toBeNull();
  });
});

describe('boundRunState and boundItems', () => {
  const state = (outputs: unknown[]): RunState =>
    ({
      runId: 'r',
      runbook: 'rb',
      status: 'succeeded',
      params: {},
      steps: outputs.map((output, i) => ({ id: `s${i}`, type: 'http', status: 'succeeded', attempts: 1, output })),
      approvals: [],
    }) as unknown as RunState;

  test('a state within the budget is returned as it is', () => {
    const s = state([{ a: kb(10) }, { b: kb(10) }]);
    expect(boundRunState(s)).toBe(s);
  });

  test('cuts the largest outputs first, only as many as needed, and leaves the kept state alone', () => {
    const s = state([{ a: kb(200) }, { b: kb(500) }, { c: kb(400) }, { d: kb(300) }, { e: 'small' }]);
    const before = JSON.stringify(s);
    const bounded = boundRunState(s);
    expect(jsonBytes(bounded)).toBeLessThanOrEqual(1024 * 1024);
    // 1.4 MB in all: cutting the 500 KB one leaves 0.9 MB.
    expect(bounded.steps.map((step) => isTruncatedOutput(step.output))).toEqual([false, true, false, false, false]);
    expect(bounded.steps[1]!.output).toMatchObject({ bytes: jsonBytes({ b: kb(500) }) });
    expect(JSON.stringify(s)).toBe(before);
  });

  test('a foreach result over one step budget loses its largest items first', () => {
    const items = [kb(100), kb(10), kb(120), kb(90)];
    const bounded = boundItems(items);
    expect(jsonBytes(bounded)).toBeLessThanOrEqual(STEP_OUTPUT_MAX_BYTES);
    expect(bounded.map(isTruncatedOutput)).toEqual([false, false, true, false]);
    expect(boundItems([1, 2, 3])).toEqual([1, 2, 3]);
  });
});

describe('withReferencedSteps (an assertion carries only the steps it reads)', () => {
  const ctx = {
    params: { p: 1 },
    env: {},
    backends: {},
    steps: { a: { status: 'succeeded', output: 1 }, b: { status: 'succeeded', output: 2 }, 'c-d': { status: 'succeeded', output: 3 } },
  };

  test.each([
    ['output.status == 200', []],
    ['steps.a.output == 1 && output.ok', ['a']],
    ["steps['c-d'].output == 3 || steps.b.output > 1", ['c-d', 'b']],
    ['"steps.a" == output.text', []],
    ['steps.nope.output == 1', []],
    ['steps.a.output == 1 && has(steps.b.output)', ['a', 'b']],
  ])('%s → %j', (expression, ids) => {
    const trimmed = withReferencedSteps(expression, ctx);
    expect(Object.keys(trimmed.steps).sort()).toEqual([...ids].sort());
    expect(trimmed.params).toBe(ctx.params);
  });

  test.each(['steps[output.name].output == 1', 'size(steps) > 2', 'steps.a.output == 1 && steps[params.p] == 2'])(
    '%s keeps every step when one read is not literal',
    (expression) => {
      expect(withReferencedSteps(expression, ctx).steps).toBe(ctx.steps);
    },
  );
});
