import { definitionOf, issuesOf, yaml } from './helpers';

/** A runbook with the given params block; param i is on line 3 + i. */
function withParams(params: string): string {
  const block = params
    .trim()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  return `name: p\nparams:\n${block}\nsteps:\n  - { id: a, type: wait, duration: 1s }\n`;
}

describe('runbook validation: parameter specs', () => {
  it('accepts sane specs and applies their defaults', () => {
    const definition = definitionOf(
      withParams(yaml`
      region: { type: string, enum: [eu, us], default: eu }
      replicas: { type: integer, minimum: 0, maximum: 10, default: 2 }
      name: { type: string, pattern: "^[a-z]+$", default: web }
      dryRun: { type: boolean, default: true }
      targets: { type: array, default: [a, b] }
    `),
    );
    expect(definition.params.replicas).toEqual({ type: 'integer', minimum: 0, maximum: 10, default: 2, required: false });
  });

  it('checks defaults against type, enum, pattern and range', () => {
    expect(
      issuesOf(
        withParams(yaml`
      a: { type: integer, default: 2.5 }
      b: { type: string, enum: [staging, production], default: prod }
      c: { type: string, pattern: "^[a-z]+$", default: Web }
      d: { type: number, maximum: 1, default: 1.5 }
      e: { type: object, default: [1] }
    `),
      ),
    ).toEqual([
      { path: 'params.a.default', message: 'default must be an integer (a whole number), got number 2.5', line: 3 },
      { path: 'params.b.default', message: 'default must be one of staging, production', line: 4 },
      { path: 'params.c.default', message: 'default must match the pattern ^[a-z]+$', line: 5 },
      { path: 'params.d.default', message: 'default must be <= 1', line: 6 },
      { path: 'params.e.default', message: 'default must be an object, got an array', line: 7 },
    ]);
  });

  it('requires patterns to compile and to be on strings', () => {
    expect(
      issuesOf(
        withParams(yaml`
      a: { type: string, pattern: "^[a-z" }
      b: { type: integer, pattern: "^1$" }
    `),
      ),
    ).toEqual([
      { path: 'params.a.pattern', message: 'invalid regular expression: /^[a-z/: Unterminated character class', line: 3 },
      { path: 'params.b.pattern', message: 'pattern applies only to string parameters, not integer', line: 4 },
    ]);
  });

  it('requires minimum/maximum on numbers, in order', () => {
    expect(
      issuesOf(
        withParams(yaml`
      a: { type: string, minimum: 1 }
      b: { type: number, minimum: 5, maximum: 3 }
    `),
      ),
    ).toEqual([
      { path: 'params.a.minimum', message: 'minimum applies only to number and integer parameters, not string', line: 3 },
      { path: 'params.b.minimum', message: 'minimum 5 is greater than maximum 3', line: 4 },
    ]);
  });

  it('requires enum values to match the type', () => {
    expect(issuesOf(withParams('size: { type: integer, enum: [1, 2, large] }'))).toEqual([
      { path: 'params.size.enum[2]', message: 'enum value must be an integer (a whole number), got string "large"', line: 3 },
    ]);
  });

  it('rejects a parameter that is both required and defaulted', () => {
    expect(issuesOf(withParams('env: { type: string, required: true, default: staging }'))).toEqual([
      {
        path: 'params.env.default',
        message: 'a required parameter cannot have a default (the default would never be used); drop one of them',
        line: 3,
      },
    ]);
  });

  it('requires parameter names that CEL can read', () => {
    expect(issuesOf(withParams('max-replicas: { type: integer }'))).toEqual([
      {
        path: 'params.max-replicas',
        message: 'parameter names must be identifiers (letters, digits and "_", not starting with a digit) so expressions can read them as params.<name>',
        line: 3,
      },
    ]);
  });

  it('rejects unknown types and fields', () => {
    expect(issuesOf(withParams('a: { type: strng, min: 1 }'))).toEqual([
      { path: 'params.a.type', message: 'must be one of string, number, integer, boolean, array, object, got "strng"', line: 3 },
      { path: 'params.a.min', message: 'unknown field "min"; allowed: type, description, required, default, enum, pattern, minimum, maximum', line: 3 },
    ]);
  });
});
