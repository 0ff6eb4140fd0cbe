import { scanReferences } from '../../domain/celReferences';
import { definitionOf, issuesOf, withSteps, yaml } from './helpers';

/** One issue expected; steps start on line 5 (see withSteps). */
function only(text: string) {
  const issues = issuesOf(text);
  expect(issues).toHaveLength(1);
  return issues[0];
}

const BUILD = '- { id: build, type: command, command: [make] }';

describe('runbook validation: CEL and template syntax', () => {
  it('checks when', () => {
    expect(only(withSteps('- { id: a, type: wait, duration: 1s, when: "params.service ==" }'))).toEqual({
      path: 'steps[0].when',
      message: 'invalid CEL: Unexpected token: EOF in expression `params.service ==`',
      line: 5,
    });
  });

  it('checks assert', () => {
    expect(
      only(
        withSteps(yaml`
      - id: q
        type: query
        query: up
        assert: "size(output.result) >"
    `),
      ),
    ).toEqual({ path: 'steps[0].assert', message: 'invalid CEL: Unexpected token: EOF in expression `size(output.result) >`', line: 8 });
  });

  it('checks foreach items, written as plain CEL or as a template', () => {
    const issues = issuesOf(
      withSteps(yaml`
      - { id: a, type: foreach, items: "params.service +", step: { type: command, command: [echo] } }
      - { id: b, type: foreach, items: "\${{ [1, 2 }}", step: { type: command, command: [echo] } }
    `),
    );
    expect(issues).toEqual([
      { path: 'steps[0].items', message: 'invalid CEL: Unexpected token: EOF in expression `params.service +`', line: 5 },
      { path: 'steps[1].items', message: expect.stringMatching(/^invalid template: .* in expression `\[1, 2`$/), line: 6 },
    ]);
  });

  it('checks ${{ }} in every string of a step, nested ones included', () => {
    const issues = issuesOf(
      withSteps(yaml`
      - id: call
        type: http
        request:
          url: "http://x/\${{ params.service + }}"
          headers: { X-Team: "\${{ }}" }
          json: { deep: [{ value: "\${{ 1 * * 2 }}" }] }
        compensate: { type: command, command: [undo, "\${{ ) }}"] }
    `),
    );
    expect(issues.map((i) => [i.path, i.line])).toEqual([
      ['steps[0].request.url', 8],
      ['steps[0].request.headers.X-Team', 9],
      ['steps[0].request.json.deep[0].value', 10],
      ['steps[0].compensate.command[1]', 11],
    ]);
    expect(issues[1]!.message).toBe('invalid template: empty ${{ }} template');
    expect(issues[2]!.message).toBe('invalid template: Unexpected token: MULTIPLY in expression `1 * * 2`');
  });

  it('reports an unterminated template', () => {
    expect(only(withSteps('- { id: a, type: command, command: [echo, "${{ params.service"] }'))).toEqual({
      path: 'steps[0].command[1]',
      message: 'unterminated ${{ template: close it with }}',
      line: 5,
    });
  });

  it('explains that when is CEL, not a template', () => {
    expect(only(withSteps('- { id: a, type: wait, duration: 1s, when: "${{ true }}" }'))).toEqual({
      path: 'steps[0].when',
      message: 'when is a CEL expression, not a template: write it without ${{ }}',
      line: 5,
    });
  });
});

describe('runbook validation: references in expressions', () => {
  it('requires params.X to be declared, in templates and in when', () => {
    const issues = issuesOf(
      withSteps(yaml`
      - id: a
        type: command
        command: [echo, "\${{ params.servce }}", "\${{ params['region'] }}"]
        when: params.verbose
    `),
    );
    expect(issues).toEqual([
      { path: 'steps[0].command[1]', message: 'unknown parameter "servce"; did you mean "service"?', line: 7 },
      { path: 'steps[0].command[2]', message: 'unknown parameter "region"; declared: service', line: 7 },
      { path: 'steps[0].when', message: 'unknown parameter "verbose"; declared: service', line: 8 },
    ]);
  });

  it('says when a runbook declares no parameters', () => {
    expect(only('name: x\nsteps:\n  - { id: a, type: command, command: [echo, "${{ params.x }}"] }\n')).toEqual({
      path: 'steps[0].command[1]',
      message: 'unknown parameter "x"; this runbook declares no parameters',
      line: 3,
    });
  });

  it('requires steps.Y to be a dependency of the referring step', () => {
    expect(only(withSteps(`${BUILD}\n- { id: deploy, type: command, command: [echo, "\${{ steps.build.output.stdout }}"] }`))).toEqual({
      path: 'steps[1].command[1]',
      message: 'steps.build may not have run yet: add "build" to the needs of "deploy" (directly or through another step)',
      line: 6,
    });
  });

  it("accepts transitive dependencies and steps['id'] spelling", () => {
    definitionOf(
      withSteps(yaml`
      ${BUILD}
      - { id: test, type: command, command: [make, test], needs: [build] }
      - id: ship
        type: command
        needs: [test]
        when: steps.build.status == 'succeeded' && steps['test'].output.exitCode == 0
        command: [echo, "\${{ steps.build.output.stdout }}"]
    `),
    );
  });

  it("reports an unknown step in steps.Y and in steps['Y']", () => {
    const issues = issuesOf(withSteps(`${BUILD}\n- { id: b, type: wait, duration: 1s, needs: [build], when: "steps.buidl.status == 'x' || steps['ghost'].status == 'y'" }`));
    expect(issues.map((i) => i.message)).toEqual(['unknown step "ghost"; known steps: build, b', 'unknown step "buidl"; did you mean "build"?']);
  });

  it('does not let a step read its own result, except in compensate', () => {
    expect(only(withSteps('- { id: a, type: command, command: [x], when: "steps.a.status == \'succeeded\'" }'))).toEqual({
      path: 'steps[0].when',
      message: 'step "a" cannot read its own result here (it has not finished yet)',
      line: 5,
    });
    definitionOf(withSteps('- { id: a, type: command, command: [x], compensate: { type: command, command: [undo, "${{ steps.a.output.stdout }}"] } }'));
  });

  it('explains that steps.a-b is a subtraction', () => {
    expect(
      only(withSteps(`- { id: read-config, type: command, command: [x] }\n- { id: b, type: command, needs: [read-config], command: [echo, "\${{ steps.read-config.output }}"] }`)),
    ).toEqual({
      path: 'steps[1].command[1]',
      message: "write steps['read-config']: CEL reads steps.read-config as steps.read - config",
      line: 6,
    });
  });

  it("allows item and index only inside a foreach step's action", () => {
    const issues = issuesOf(
      withSteps(yaml`
      - id: each
        type: foreach
        items: "\${{ [1, 2] }}"
        when: index == 0
        step: { type: command, command: [echo, "\${{ item }}", "\${{ string(index) }}"] }
      - { id: b, type: command, command: [echo, "\${{ item.name }}"] }
    `),
    );
    expect(issues).toEqual([
      { path: 'steps[0].when', message: 'index exists only inside a foreach step\'s "step"', line: 8 },
      { path: 'steps[1].command[1]', message: 'item exists only inside a foreach step\'s "step"', line: 10 },
    ]);
  });

  it('allows output only in assert', () => {
    expect(only(withSteps('- { id: a, type: http, request: { url: "http://x/${{ output.id }}" }, assert: "output.status == 200" }'))).toEqual({
      path: 'steps[0].request.url',
      message: 'output exists only in assert expressions',
      line: 5,
    });
  });

  it('reports an unknown variable with a suggestion', () => {
    expect(only(withSteps('- { id: a, type: wait, duration: 1s, when: "parms.service == \'x\'" }'))).toEqual({
      path: 'steps[0].when',
      message: 'unknown name "parms"; did you mean "params"?',
      line: 5,
    });
  });

  it('ignores names inside string literals and comprehension variables', () => {
    definitionOf(
      withSteps(yaml`
      - id: q
        type: query
        query: up
        assert: "output.result.all(s, s.metric.job != 'params.nope steps.ghost item') && [1].exists(x, x > 0)"
    `),
    );
  });

  it('sees env and backends', () => {
    definitionOf(withSteps('- { id: a, type: http, when: backends.prometheus, request: { url: "${{ env.API }}/x" } }'));
  });
});

describe('scanReferences', () => {
  it('finds params, steps and free names', () => {
    expect(scanReferences('params.a + params[\'b\'] + steps.c.output + steps["d"].status + size(env.X) + item')).toEqual({
      params: ['b', 'a'],
      steps: ['d', 'c'],
      hyphenated: [],
      roots: ['params', 'steps', 'env', 'item'],
    });
  });

  it('skips members, function names, literals, numbers and macro variables', () => {
    expect(scanReferences('int(x.y) == 1e5 && true && null == r"item" && xs.map(v, v + 0x1F).size() > 1u && type(v) == list').roots).toEqual(['x', 'xs']);
  });
});
