import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseRunbookYaml } from '../../domain/runbookValidator';
import { RunbookCatalogue, RunbookCatalogueError } from '../../runbooks/runbookCatalogue';
import { yaml } from './helpers';

const RUNBOOKS_DIR = path.resolve(__dirname, '../../runbooks');
const EXPECTED = ['deploy-service', 'generate-tests', 'restart-fleet', 'restart-service', 'run-tests', 'scale-service', 'test-coverage'];

const dirs: string[] = [];
function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runbooks-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function loadError(files: Record<string, string>): Promise<RunbookCatalogueError> {
  const error: unknown = await RunbookCatalogue.load(dirWith(files)).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(error instanceof RunbookCatalogueError)) throw new Error(`expected a RunbookCatalogueError, got ${String(error)}`);
  return error;
}

const simple = (name: string, extra = '') => `name: ${name}\nsteps:\n  - { id: a, type: wait, duration: 1s }\n${extra}`;
const caller = (name: string, target: string, params = '{}') => `name: ${name}\nsteps:\n  - id: child\n    type: runbook\n    runbook: ${target}\n    params: ${params}\n`;

describe('RunbookCatalogue: the shipped runbooks', () => {
  let catalogue: RunbookCatalogue;
  beforeAll(async () => {
    catalogue = await RunbookCatalogue.load(RUNBOOKS_DIR);
  });

  it('loads every runbook in runbooks/', () => {
    expect(catalogue.names()).toEqual(EXPECTED);
    const files = readdirSync(RUNBOOKS_DIR)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
    expect(files).toEqual(EXPECTED.map((n) => `${n}.yaml`));
  });

  it.each(EXPECTED)('%s is valid on its own against the catalogue names', (name) => {
    const result = parseRunbookYaml(readFileSync(path.join(RUNBOOKS_DIR, `${name}.yaml`), 'utf8'), { knownRunbooks: new Set(EXPECTED) });
    expect(result).toMatchObject({ ok: true, definition: { name } });
    if (result.ok) expect(result.definition.description.length).toBeGreaterThan(20);
  });

  it('lists summaries sorted by name', () => {
    const list = catalogue.list();
    expect(list.map((s) => s.name)).toEqual(EXPECTED);
    const deploy = list[0]!;
    expect(Object.keys(deploy.params)).toEqual(['service', 'version', 'environment', 'maxErrorRatio']);
    expect(deploy.steps).toEqual([
      { id: 'preflight', type: 'query', needs: [] },
      { id: 'build', type: 'command', needs: [] },
      { id: 'approve', type: 'approval', needs: ['build'] },
      { id: 'deploy', type: 'http', needs: ['approve', 'preflight'] },
      { id: 'smoke', type: 'http', needs: ['deploy'] },
    ]);
  });

  it('gets definitions by name, frozen', () => {
    const definition = catalogue.get('restart-fleet');
    expect(definition?.steps[0]).toMatchObject({ type: 'foreach', concurrency: 2, step: { type: 'runbook', runbook: 'restart-service' } });
    expect(Object.isFrozen(definition?.steps[0])).toBe(true);
    expect(catalogue.get('nope')).toBeUndefined();
  });
});

describe('RunbookCatalogue: errors', () => {
  it('lists every issue of every file as file:line path: message in one error', async () => {
    const error = await loadError({
      'good.yaml': simple('good'),
      'bad.yaml': yaml`
        name: bad
        steps:
          - id: a
            type: foo
      `,
      'broken.yml': 'name: broken\nsteps: [\n',
    });
    expect(error.message).toMatch(/^Invalid runbook catalogue in .* \(2 issues\):\n/);
    expect(error.message).toContain('\n  bad.yaml:4 steps[0].type: unknown step type "foo"; expected one of command, http');
    expect(error.message).toMatch(/\n {2}broken\.yml:\d+: YAML syntax error: /);
    expect(error.issues.map((i) => i.file)).toEqual(['bad.yaml', 'broken.yml']);
  });

  it('requires the file name to match the runbook name', async () => {
    const error = await loadError({ 'restart.yaml': simple('restart-service') });
    expect(error.issues).toEqual([{ file: 'restart.yaml', path: 'name', line: 1, message: 'runbook "restart-service" must live in restart-service.yaml, not restart.yaml' }]);
  });

  it('rejects two files defining the same runbook', async () => {
    const error = await loadError({ 'a.yaml': simple('a'), 'a.yml': simple('a') });
    expect(error.issues).toEqual([{ file: 'a.yml', path: 'name', line: 1, message: 'runbook "a" is already defined in a.yaml' }]);
  });

  it('rejects a runbook step whose target is not in the directory', async () => {
    const error = await loadError({ 'parent.yaml': caller('parent', 'child'), 'other.yaml': simple('other') });
    expect(error.issues).toEqual([{ file: 'parent.yaml', path: 'steps[0].runbook', line: 5, message: 'unknown runbook "child"; known runbooks: other, parent' }]);
  });

  it('reports recursion between runbooks once, with the cycle', async () => {
    const error = await loadError({ 'a.yaml': caller('a', 'b'), 'b.yaml': caller('b', 'c'), 'c.yaml': caller('c', 'a') });
    expect(error.issues).toEqual([{ file: 'a.yaml', path: 'steps[0].runbook', line: 5, message: 'runbook recursion: a -> b -> c -> a', cycle: ['a', 'b', 'c', 'a'] }]);
    expect(error.message).toContain('a.yaml:5 steps[0].runbook: runbook recursion: a -> b -> c -> a');
  });

  it('reports a runbook that starts itself, also through foreach', async () => {
    const self = yaml`
      name: loop
      steps:
        - { id: each, type: foreach, items: [1], step: { type: runbook, runbook: loop } }
    `;
    const error = await loadError({ 'loop.yaml': self });
    expect(error.issues).toEqual([{ file: 'loop.yaml', path: 'steps[0].step.runbook', line: 3, message: 'runbook recursion: loop -> loop', cycle: ['loop', 'loop'] }]);
  });

  it('checks the params passed to a child runbook', async () => {
    const child = yaml`
      name: child
      params:
        service: { type: string, required: true }
        size: { type: integer, maximum: 10 }
      steps:
        - { id: a, type: wait, duration: 1s }
    `;
    const error = await loadError({ 'child.yaml': child, 'parent.yaml': caller('parent', 'child', '{ sevrice: web, size: 50 }') });
    expect(error.issues).toEqual([
      { file: 'parent.yaml', path: 'steps[0].params.sevrice', line: 6, message: 'runbook "child" has no parameter "sevrice"; did you mean "service"?' },
      { file: 'parent.yaml', path: 'steps[0].params.size', line: 6, message: 'must be <= 10 (parameter of runbook "child")' },
      { file: 'parent.yaml', path: 'steps[0].params', line: 6, message: 'missing required parameter "service" of runbook "child"' },
    ]);
  });

  it('leaves templated child params to run time', async () => {
    const child = 'name: child\nparams:\n  size: { type: integer }\nsteps:\n  - { id: a, type: wait, duration: 1s }\n';
    const catalogue = await RunbookCatalogue.load(dirWith({ 'child.yaml': child, 'parent.yaml': caller('parent', 'child', '{ size: "${{ 1 + 1 }}" }') }));
    expect(catalogue.names()).toEqual(['child', 'parent']);
  });

  it('ignores other files and subdirectories, and accepts an empty directory', async () => {
    const dir = dirWith({ 'README.md': '# notes', 'only.yaml': simple('only') });
    mkdirSync(path.join(dir, 'nested.yaml'));
    expect((await RunbookCatalogue.load(dir)).names()).toEqual(['only']);
    expect((await RunbookCatalogue.load(dirWith({}))).list()).toEqual([]);
  });

  it('fails clearly when the directory cannot be read', async () => {
    await expect(RunbookCatalogue.load('/nonexistent/runbooks')).rejects.toThrow(/^cannot read runbook directory \/nonexistent\/runbooks: ENOENT/);
  });

  it('builds from in-memory sources with the same checks', () => {
    expect(RunbookCatalogue.fromSources([{ file: 'x.yaml', text: simple('x') }]).names()).toEqual(['x']);
    expect(() => RunbookCatalogue.fromSources([{ file: 'y.yaml', text: simple('x') }], 'inline')).toThrow(
      'Invalid runbook catalogue in inline (1 issue):\n  y.yaml:1 name: runbook "x" must live in x.yaml, not y.yaml',
    );
  });
});
