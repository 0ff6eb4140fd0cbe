import type { ParamSpec } from '../../domain/runbook';
import { resolveParams } from '../../domain/runParams';

const spec = (s: Partial<ParamSpec> & Pick<ParamSpec, 'type'>): ParamSpec => ({ required: false, ...s });

const SPECS: Record<string, ParamSpec> = {
  service: spec({ type: 'string', required: true, pattern: '^[a-z0-9-]+$' }),
  environment: spec({ type: 'string', enum: ['staging', 'production'], default: 'staging' }),
  replicas: spec({ type: 'integer', minimum: 0, maximum: 100 }),
  ratio: spec({ type: 'number', default: 0.05 }),
  dryRun: spec({ type: 'boolean', default: false }),
  services: spec({ type: 'array', default: ['web'] }),
  labels: spec({ type: 'object' }),
};

function issues(input: unknown, specs = SPECS) {
  const result = resolveParams(specs, input);
  if (result.ok) throw new Error(`expected issues, got params ${JSON.stringify(result.params)}`);
  return result.issues;
}

describe('resolveParams', () => {
  it('applies defaults and keeps given values; optional params without default stay absent', () => {
    expect(resolveParams(SPECS, { service: 'web', replicas: 3 })).toEqual({
      ok: true,
      params: { service: 'web', environment: 'staging', replicas: 3, ratio: 0.05, dryRun: false, services: ['web'] },
    });
  });

  it('refuses prototype keys like any unknown name, even when parsed from JSON as own properties', () => {
    const hostile = JSON.parse('{"service":"web","__proto__":{"polluted":true},"constructor":{"prototype":{}}}') as unknown;
    expect(issues(hostile).map((i) => i.path)).toEqual(['params.__proto__', 'params.constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('copies defaults, so a run cannot change the definition', () => {
    const result = resolveParams(SPECS, { service: 'web' });
    if (!result.ok) throw new Error('expected ok');
    (result.params.services as string[]).push('api');
    expect(SPECS.services!.default).toEqual(['web']);
  });

  it('treats undefined input as no parameters', () => {
    expect(resolveParams({ env: spec({ type: 'string', default: 'x' }) }, undefined)).toEqual({ ok: true, params: { env: 'x' } });
  });

  it.each([
    ['a string', 'web'],
    ['an array', ['web']],
    ['null', null],
  ])('rejects %s as input', (_what, input) => {
    expect(issues(input)).toEqual([{ path: 'params', message: expect.stringMatching(/^must be an object, got /) }]);
  });

  it('rejects unknown parameters with a suggestion', () => {
    expect(issues({ service: 'web', replica: 2, colour: 'blue' })).toEqual([
      { path: 'params.replica', message: 'unknown parameter; did you mean "replicas"?' },
      { path: 'params.colour', message: 'unknown parameter; declared: service, environment, replicas, ratio, dryRun, services, labels' },
    ]);
    expect(issues({ x: 1 }, {})).toEqual([{ path: 'params.x', message: 'unknown parameter; this runbook takes no parameters' }]);
  });

  it('requires required parameters; null counts as missing', () => {
    expect(issues({})).toEqual([{ path: 'params.service', message: 'is required' }]);
    expect(issues({ service: null })).toEqual([{ path: 'params.service', message: 'is required' }]);
    expect(resolveParams(SPECS, { service: 'web', environment: null })).toMatchObject({ ok: true, params: { environment: 'staging' } });
  });

  it.each([
    ['service', 42, 'must be a string, got number 42'],
    ['ratio', '0.1', 'must be a number, got string "0.1"'],
    ['ratio', Number.NaN, 'must be a number, got number NaN'],
    ['replicas', 2.5, 'must be an integer (a whole number), got number 2.5'],
    ['replicas', '3', 'must be an integer (a whole number), got string "3"'],
    ['dryRun', 'false', 'must be a boolean, got string "false"'],
    ['services', 'web', 'must be an array, got string "web"'],
    ['labels', ['a'], 'must be an object, got an array'],
  ])('checks the type of %s = %p', (name, value, message) => {
    expect(issues({ service: 'web', [name]: value })).toEqual([{ path: `params.${name}`, message }]);
  });

  it('accepts whole numbers for number and integer params', () => {
    expect(resolveParams(SPECS, { service: 'web', ratio: 1, replicas: 7.0 })).toMatchObject({ ok: true, params: { ratio: 1, replicas: 7 } });
  });

  it('checks enum values', () => {
    expect(issues({ service: 'web', environment: 'prod' })).toEqual([{ path: 'params.environment', message: 'must be one of staging, production' }]);
  });

  it('checks patterns as written (authors anchor them)', () => {
    expect(issues({ service: 'Web_1' })).toEqual([{ path: 'params.service', message: 'must match the pattern ^[a-z0-9-]+$' }]);
    // Unanchored, a pattern only has to match somewhere in the value.
    expect(resolveParams({ tag: spec({ type: 'string', pattern: '[0-9]' }) }, { tag: 'v1-beta' }).ok).toBe(true);
  });

  it('checks minimum and maximum', () => {
    expect(issues({ service: 'web', replicas: -1 })).toEqual([{ path: 'params.replicas', message: 'must be >= 0' }]);
    expect(issues({ service: 'web', replicas: 101 })).toEqual([{ path: 'params.replicas', message: 'must be <= 100' }]);
    expect(resolveParams(SPECS, { service: 'web', replicas: 100 }).ok).toBe(true);
  });

  it('reports every problem at once', () => {
    expect(issues({ environment: 'dev', replicas: 1000, extra: true }).map((i) => i.path)).toEqual(['params.extra', 'params.service', 'params.environment', 'params.replicas']);
  });
});
