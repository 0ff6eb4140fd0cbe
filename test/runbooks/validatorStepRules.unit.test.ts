import { definitionOf, issuesOf, withSteps, yaml } from './helpers';

describe('runbook validation: step rules', () => {
  it('rejects compensate on approval and wait steps', () => {
    const issues = issuesOf(
      withSteps(yaml`
      - id: gate
        type: approval
        compensate: { type: command, command: [undo] }
      - id: pause
        type: wait
        duration: 1s
        compensate: { type: http, request: { url: "http://x" } }
    `),
    );
    expect(issues).toEqual([
      { path: 'steps[0].compensate', message: 'approval steps cannot have compensate: they change nothing that could be undone', line: 7 },
      { path: 'steps[1].compensate', message: 'wait steps cannot have compensate: they change nothing that could be undone', line: 11 },
    ]);
  });

  it('rejects a request with both json and body', () => {
    expect(issuesOf(withSteps('- { id: a, type: http, request: { url: "http://x", json: {}, body: "{}" } }'))).toEqual([
      { path: 'steps[0].request.body', message: 'set json or body, not both', line: 5 },
    ]);
  });

  describe('runbook targets', () => {
    const known = new Set(['restart-service', 'scale-service']);
    const doc = withSteps(yaml`
      - { id: one, type: runbook, runbook: restart-servce }
      - { id: all, type: foreach, items: [a], step: { type: runbook, runbook: reboot-everything } }
      - { id: ok, type: runbook, runbook: scale-service }
    `);

    it('must be known runbooks, in runbook steps and foreach actions', () => {
      expect(issuesOf(doc, known)).toEqual([
        { path: 'steps[0].runbook', message: 'unknown runbook "restart-servce"; did you mean "restart-service"?', line: 5 },
        { path: 'steps[1].step.runbook', message: 'unknown runbook "reboot-everything"; known runbooks: restart-service, scale-service', line: 6 },
      ]);
    });

    it('are not checked without knownRunbooks', () => {
      expect(definitionOf(doc).steps).toHaveLength(3);
    });
  });
});
