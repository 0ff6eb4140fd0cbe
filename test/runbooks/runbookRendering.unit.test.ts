import path from 'node:path';
import { evaluateCondition, evaluateExpression } from '../../domain/cel';
import type { RunbookDefinition, Step } from '../../domain/runbook';
import { resolveParams } from '../../domain/runParams';
import { renderTemplate, type TemplateContext } from '../../domain/template';
import { RunbookCatalogue } from '../../runbooks/runbookCatalogue';

/**
 * The shipped runbooks' templates and CEL, evaluated the way the workflow does: params resolved by
 * resolveParams, then renderTemplate / evaluateCondition against a TemplateContext.
 */
let catalogue: RunbookCatalogue;
beforeAll(async () => {
  catalogue = await RunbookCatalogue.load(path.resolve(__dirname, '../../runbooks'));
});

function runbook(name: string): RunbookDefinition {
  const definition = catalogue.get(name);
  if (!definition) throw new Error(`no runbook ${name}`);
  return definition;
}

function step<T extends Step['type']>(definition: RunbookDefinition, id: string, type: T): Extract<Step, { type: T }> {
  const found = definition.steps.find((s) => s.id === id);
  if (!found || found.type !== type) throw new Error(`no ${type} step ${id}`);
  return found as Extract<Step, { type: T }>;
}

function context(definition: RunbookDefinition, input: Record<string, unknown>, extra: Partial<TemplateContext> = {}): TemplateContext {
  const resolved = resolveParams(definition.params, input);
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.issues));
  return { params: resolved.params, steps: {}, env: { DEPLOY_API_URL: 'https://deploy.internal' }, backends: { prometheus: true }, ...extra };
}

describe('deploy-service', () => {
  const input = { service: 'checkout', version: '1.4.2', environment: 'production' };

  it('renders the deploy request and its rollback', () => {
    const deploy = step(runbook('deploy-service'), 'deploy', 'http');
    const ctx = context(runbook('deploy-service'), input);
    expect(renderTemplate(deploy.request, ctx)).toEqual({
      method: 'POST',
      url: 'https://deploy.internal/deployments',
      json: { service: 'checkout', version: '1.4.2', environment: 'production' },
    });
    expect(renderTemplate(deploy.compensate, ctx)).toEqual({
      type: 'http',
      request: {
        method: 'POST',
        url: 'https://deploy.internal/rollbacks',
        json: { service: 'checkout', environment: 'production', fromVersion: '1.4.2' },
      },
    });
  });

  it('renders the build argv and gates approval on production', () => {
    const definition = runbook('deploy-service');
    expect(renderTemplate(step(definition, 'build', 'command').command, context(definition, input))).toEqual(['./runbooks/scripts/build.sh', 'checkout', '1.4.2']);
    const approve = step(definition, 'approve', 'approval');
    expect(evaluateCondition(approve.when!, { ...context(definition, input) })).toBe(true);
    expect(evaluateCondition(approve.when!, { ...context(definition, { ...input, environment: 'staging' }) })).toBe(false);
    expect(renderTemplate(approve.message, context(definition, input))).toBe('Deploy checkout 1.4.2 to production');
  });

  it('renders the pre-flight PromQL and asserts on the error ratio', () => {
    const definition = runbook('deploy-service');
    const preflight = step(definition, 'preflight', 'query');
    const ctx = context(definition, input);
    expect(renderTemplate(preflight.query, ctx)).toBe(
      'sum(rate(http_requests_total{service="checkout",code=~"5.."}[5m])) / (sum(rate(http_requests_total{service="checkout"}[5m])) > 0)',
    );
    const check = (result: unknown[], params = ctx.params) => evaluateCondition(preflight.assert!, { ...ctx, params, output: { resultType: 'vector', result, truncated: false } });
    const sample = (ratio: string) => ({ metric: {}, value: [1_700_000_000.5, ratio] });
    expect(check([])).toBe(true);
    expect(check([sample('0.01')])).toBe(true);
    expect(check([sample('0.2')])).toBe(false);
    // A whole-number threshold arrives as a CEL int; the comparison must still work.
    expect(check([sample('0.2')], { ...ctx.params, maxErrorRatio: 1 })).toBe(true);
    expect(evaluateCondition(preflight.when!, { ...ctx, backends: { prometheus: false } })).toBe(false);
  });

  it('smoke-checks the reported version', () => {
    const definition = runbook('deploy-service');
    const smoke = step(definition, 'smoke', 'http');
    const ctx = context(definition, input);
    expect(renderTemplate(smoke.request.url, ctx)).toBe('https://deploy.internal/deployments/checkout');
    const output = (version: string) => ({ status: 200, headers: {}, body: { service: 'checkout', version } });
    expect(evaluateCondition(smoke.assert!, { ...ctx, output: output('1.4.2') })).toBe(true);
    expect(evaluateCondition(smoke.assert!, { ...ctx, output: output('1.4.1') })).toBe(false);
  });
});

describe('scale-service', () => {
  const definition = () => runbook('scale-service');
  const current = (replicas: number) => ({ current: { status: 'succeeded', output: { status: 200, headers: {}, body: { replicas } } } });

  it('requires approval in production or above 20 replicas', () => {
    const when = step(definition(), 'approve', 'approval').when!;
    expect(evaluateCondition(when, { ...context(definition(), { service: 'web', replicas: 5 }) })).toBe(false);
    expect(evaluateCondition(when, { ...context(definition(), { service: 'web', replicas: 21 }) })).toBe(true);
    expect(evaluateCondition(when, { ...context(definition(), { service: 'web', replicas: 2, environment: 'production' }) })).toBe(true);
  });

  it('scales through the deploy API and compensates back to the previous count', () => {
    const scale = step(definition(), 'scale', 'http');
    const ctx = context(definition(), { service: 'web', replicas: 8 }, { steps: current(3) });
    expect(renderTemplate(scale.request, ctx)).toMatchObject({
      method: 'POST',
      url: 'https://deploy.internal/services/web/scale',
      json: { environment: 'staging', replicas: 8 },
    });
    expect(renderTemplate(scale.compensate, ctx)).toMatchObject({ request: { json: { environment: 'staging', replicas: 3 } } });
    expect(evaluateCondition(scale.when!, { ...ctx })).toBe(true);
    expect(evaluateCondition(scale.when!, { ...context(definition(), { service: 'web', replicas: 3 }, { steps: current(3) }) })).toBe(false);
  });

  it('verifies the new count, comparing JSON whole numbers as CEL ints', () => {
    const verify = step(definition(), 'verify', 'http');
    const ctx = context(definition(), { service: 'web', replicas: 8 });
    expect(evaluateCondition(verify.assert!, { ...ctx, output: { status: 200, headers: {}, body: { replicas: 8 } } })).toBe(true);
    expect(evaluateCondition(verify.assert!, { ...ctx, output: { status: 200, headers: {}, body: { replicas: 7 } } })).toBe(false);
    expect(renderTemplate(verify.request.url, ctx)).toBe('https://deploy.internal/services/web/scale?environment=staging');
  });
});

describe('restart-fleet', () => {
  it("renders the item list and each child run's params", () => {
    const definition = runbook('restart-fleet');
    const each = step(definition, 'restart-all', 'foreach');
    const ctx = context(definition, { services: ['web', 'api'], environment: 'production' });
    const items = renderTemplate(each.items, ctx);
    expect(items).toEqual(['web', 'api']);
    if (each.step.type !== 'runbook') throw new Error('expected a runbook action');
    expect(renderTemplate(each.step.params, { ...ctx, item: 'api', index: 1 })).toEqual({ service: 'api', environment: 'production' });
  });
});

describe('template typing', () => {
  it('keeps the type of a lone template and interpolates text otherwise', () => {
    const ctx: TemplateContext = { params: { n: 3, list: ['a'] }, steps: {}, env: {}, backends: {} };
    expect(renderTemplate({ whole: '${{ params.n }}', text: 'n=${{ params.n }}', list: '${{ params.list }}' }, ctx)).toEqual({
      whole: 3,
      text: 'n=3',
      list: ['a'],
    });
    expect(evaluateExpression('params.n + 1', { ...ctx })).toBe(4);
  });
});
