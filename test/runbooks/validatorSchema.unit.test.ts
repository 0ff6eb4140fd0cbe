import { parseRunbookYaml, validateRunbook } from '../../domain/runbookValidator';
import { definitionOf, issuesOf, withSteps, yaml } from './helpers';

const STEP_TYPES = 'command, http, query, approval, wait, runbook, foreach';

const DEPLOY = yaml`
  name: deploy-service
  description: Roll out a version with an approval gate and automatic rollback
  params:
    service: { type: string, required: true, pattern: "^[a-z0-9-]+$" }
    version: { type: string, required: true }
    environment: { type: string, enum: [staging, production], default: staging }
  concurrency: 4
  steps:
    - id: build
      type: command
      command: ["./runbooks/scripts/build.sh", "\${{ params.service }}", "\${{ params.version }}"]
      timeout: 10m
    - id: approve
      type: approval
      needs: [build]
      when: params.environment == 'production'
      fourEyes: true
      timeout: 4h
    - id: deploy
      type: http
      needs: [approve]
      request: { method: POST, url: "\${{ env.DEPLOY_API_URL }}/deployments", json: { service: "\${{ params.service }}" } }
      retry: { maxAttempts: 5, initialInterval: 2s }
      compensate: { type: http, request: { method: POST, url: "\${{ env.DEPLOY_API_URL }}/rollbacks" } }
`;

describe('runbook validation: a valid document', () => {
  it('passes and has the schema defaults applied', () => {
    const definition = definitionOf(DEPLOY);
    expect(definition.name).toBe('deploy-service');
    expect(definition.params.environment).toEqual({ type: 'string', enum: ['staging', 'production'], default: 'staging', required: false });
    const [build, approve, deploy] = definition.steps;
    expect(build).toMatchObject({ id: 'build', needs: [], continueOnError: false, expectExitCode: 0 });
    expect(approve).toMatchObject({ approvers: { roles: ['approver'], count: 1 }, fourEyes: true });
    expect(deploy).toMatchObject({
      retry: { maxAttempts: 5, initialInterval: '2s', backoffCoefficient: 2 },
      request: { method: 'POST' },
      compensate: { type: 'http', request: { method: 'POST' } },
    });
  });

  it('accepts an already-parsed object through validateRunbook', () => {
    const result = validateRunbook({ name: 'tiny', steps: [{ id: 'pause', type: 'wait', duration: '1s' }] });
    expect(result).toEqual({
      ok: true,
      definition: {
        name: 'tiny',
        description: '',
        params: {},
        concurrency: 4,
        steps: [{ id: 'pause', type: 'wait', duration: '1s', needs: [], continueOnError: false }],
      },
    });
  });
});

describe('runbook validation: schema errors', () => {
  it('names the unknown step type and lists the valid ones', () => {
    const issues = issuesOf(
      withSteps(yaml`
      - id: a
        type: foo
    `),
    );
    expect(issues).toEqual([{ path: 'steps[0].type', message: `unknown step type "foo"; expected one of ${STEP_TYPES}`, line: 6 }]);
  });

  it('reports a step without a type', () => {
    const issues = issuesOf(withSteps('- id: a\n  command: [ls]'));
    expect(issues).toEqual([{ path: 'steps[0].type', message: `missing required field "type"; expected one of ${STEP_TYPES}`, line: 5 }]);
  });

  it('names a missing required field, at the line of its step', () => {
    const issues = issuesOf(
      withSteps(yaml`
      - id: a
        type: command
        timeout: 1m
    `),
    );
    expect(issues).toEqual([{ path: 'steps[0].command', message: 'missing required field "command"', line: 5 }]);
  });

  it('names unknown keys, suggesting the closest field', () => {
    const issues = issuesOf(
      withSteps(yaml`
      - id: a
        type: command
        command: [ls]
        neds: [b]
    `),
    );
    expect(issues).toEqual([{ path: 'steps[0].neds', message: 'unknown field "neds"; did you mean "needs"?', line: 8 }]);
  });

  it('lists the allowed fields for an unknown top-level key', () => {
    const issues = issuesOf(`name: x\nowner: team-a\nsteps: [{ id: a, type: wait, duration: 1s }]\n`);
    expect(issues).toEqual([{ path: 'owner', message: 'unknown field "owner"; allowed: name, description, params, concurrency, steps', line: 2 }]);
  });

  it('explains that commands are argv lists', () => {
    const issues = issuesOf(withSteps('- { id: a, type: command, command: "ls -la" }'));
    expect(issues).toEqual([
      {
        path: 'steps[0].command',
        message: 'must be an array, got string (commands are argv lists, e.g. ["kubectl", "get", "pods"]; no shell is involved)',
        line: 5,
      },
    ]);
  });

  it("keeps the schema author's messages for durations, ids and names", () => {
    const issues = issuesOf(yaml`
      name: Bad_Name
      steps:
        - id: 1st
          type: wait
          duration: 5 minutes
    `);
    expect(issues).toEqual([
      { path: 'name', message: 'must be lower-case letters, digits and "-"', line: 1 },
      { path: 'steps[0].id', message: 'must start with a lower-case letter and use only a-z, 0-9, "_" and "-"', line: 3 },
      { path: 'steps[0].duration', message: 'must be a duration such as "500ms", "2s", "10m", "4h" or "1d"', line: 5 },
    ]);
  });

  it('lists the allowed values of an enum', () => {
    const issues = issuesOf(withSteps('- { id: a, type: http, request: { method: FETCH, url: "http://x" } }'));
    expect(issues).toEqual([{ path: 'steps[0].request.method', message: 'must be one of GET, POST, PUT, PATCH, DELETE, HEAD, got "FETCH"', line: 5 }]);
  });

  it('asks for whole numbers where the schema wants integers', () => {
    expect(issuesOf('name: x\nconcurrency: 2.5\nsteps: [{ id: a, type: wait, duration: 1s }]\n')).toEqual([
      { path: 'concurrency', message: 'must be a whole number, got 2.5', line: 2 },
    ]);
  });

  it('asks for a unit on a bare number duration', () => {
    expect(issuesOf(withSteps('- { id: a, type: wait, duration: 30 }'))).toEqual([
      { path: 'steps[0].duration', message: 'must be a duration with a unit, such as "30s" or "5m", got 30', line: 5 },
    ]);
  });

  it('reports an empty foreach items once', () => {
    expect(issuesOf(withSteps('- { id: a, type: foreach, items: "", step: { type: command, command: [x] } }'))).toEqual([
      { path: 'steps[0].items', message: 'must not be empty', line: 5 },
    ]);
  });

  it('reports numeric bounds in words', () => {
    const issues = issuesOf(withSteps('- { id: a, type: command, command: [ls], retry: { maxAttempts: 0 } }'));
    expect(issues).toEqual([{ path: 'steps[0].retry.maxAttempts', message: 'must be >= 1', line: 5 }]);
  });

  it('names the kind of type for foreach actions and compensations', () => {
    const issues = issuesOf(
      withSteps(yaml`
      - id: a
        type: foreach
        items: [1, 2]
        step: { type: approval }
      - id: b
        type: command
        command: [ls]
        compensate: { type: wait, duration: 1s }
    `),
    );
    expect(issues).toEqual([
      { path: 'steps[0].step.type', message: 'unknown foreach action type "approval"; expected one of command, http, query, runbook', line: 8 },
      { path: 'steps[1].compensate.type', message: 'unknown compensation type "wait"; expected one of command, http', line: 12 },
    ]);
  });

  it('requires at least one step', () => {
    expect(issuesOf('name: empty\nsteps: []\n')).toEqual([{ path: 'steps', message: 'a runbook needs at least one step', line: 2 }]);
  });

  it('rejects a document that is not a mapping', () => {
    expect(issuesOf('- just\n- a list\n')).toEqual([{ path: '', message: 'must be an object, got array', line: 1 }]);
  });

  it('turns YAML syntax errors into issues with line numbers', () => {
    const issues = issuesOf(yaml`
      name: broken
      steps:
        - id: a
          command: [ls
        - id: b
    `);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatchObject({ path: '', line: expect.any(Number) });
    expect(issues[0]!.message).toMatch(/^YAML syntax error: /);
    expect(issues[0]!.line).toBeGreaterThanOrEqual(4);
  });

  it('reports duplicate YAML keys at their line', () => {
    const issues = issuesOf('name: a\nname: b\nsteps: [{ id: a, type: wait, duration: 1s }]\n');
    expect(issues).toEqual([{ path: '', message: 'YAML syntax error: Map keys must be unique', line: 2 }]);
  });

  it('returns every issue, not only the first, sorted by line', () => {
    const issues = issuesOf(yaml`
      name: many
      steps:
        - id: a
          type: foo
        - id: b
          type: command
        - id: c
          type: wait
          duration: soon
          needs: [nope]
    `);
    expect(issues.map((i) => [i.line, i.path])).toEqual([
      [4, 'steps[0].type'],
      [5, 'steps[1].command'],
      [9, 'steps[2].duration'],
      [10, 'steps[2].needs[0]'],
    ]);
  });

  it('gives paths but no lines for non-YAML input', () => {
    const result = validateRunbook({ name: 'x', steps: [{ id: 'a', type: 'command' }] });
    expect(result).toEqual({ ok: false, issues: [{ path: 'steps[0].command', message: 'missing required field "command"' }] });
  });

  it('supports YAML anchors and merge keys for shared blocks', () => {
    const definition = definitionOf(yaml`
      name: shared
      steps:
        - { id: a, type: command, command: [make], retry: &retry { maxAttempts: 5, initialInterval: 2s } }
        - id: b
          type: command
          command: [make, test]
          retry: { <<: *retry, maxAttempts: 2 }
    `);
    expect(definition.steps.map((s) => s.retry)).toEqual([
      { maxAttempts: 5, initialInterval: '2s', backoffCoefficient: 2 },
      { maxAttempts: 2, initialInterval: '2s', backoffCoefficient: 2 },
    ]);
  });

  it('is what parseRunbookYaml returns for a valid document', () => {
    expect(parseRunbookYaml(DEPLOY).ok).toBe(true);
  });
});
