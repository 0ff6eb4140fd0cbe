import { LOCAL_STEP_MAX_TIMEOUT_MS, runsAsLocalActivity } from '../../domain/stepExecution';
import { definitionOf, issuesOf, withSteps, yaml } from './helpers';

describe('where a step runs (domain/stepExecution.ts)', () => {
  it('runs http and query actions of at most 10 s locally by default, everything else remotely', () => {
    expect(LOCAL_STEP_MAX_TIMEOUT_MS).toBe(10_000);
    expect(runsAsLocalActivity('http', '10s', undefined)).toBe(true);
    expect(runsAsLocalActivity('http', '500ms', undefined)).toBe(true);
    expect(runsAsLocalActivity('query', '5s', undefined)).toBe(true);
    expect(runsAsLocalActivity('http', '10.5s', undefined)).toBe(false);
    // No timeout: the defaults (http 60 s, query 30 s) are long steps.
    expect(runsAsLocalActivity('http', undefined, undefined)).toBe(false);
    expect(runsAsLocalActivity('query', undefined, undefined)).toBe(false);
    expect(runsAsLocalActivity('http', '2s', 'remote')).toBe(false);
    expect(runsAsLocalActivity('http', '2s', 'local')).toBe(true);
    // Never local, whatever the definition asks (the validator refuses the request).
    expect(runsAsLocalActivity('command', '2s', 'local')).toBe(false);
    expect(runsAsLocalActivity('runbook', '2s', 'local')).toBe(false);
    expect(runsAsLocalActivity('http', '1m', 'local')).toBe(false);
  });
});

describe('runbook validation: execution', () => {
  it('accepts execution on http, query, command and foreach steps', () => {
    const definition = definitionOf(
      withSteps(yaml`
      - { id: a, type: http, request: { url: "http://x" }, timeout: 5s, execution: local }
      - { id: b, type: http, request: { url: "http://x" }, execution: remote }
      - { id: c, type: query, query: up, timeout: 10s, execution: local }
      - { id: d, type: command, command: [echo], execution: remote }
      - { id: e, type: foreach, items: [1], timeout: 3s, execution: local, step: { type: http, request: { url: "http://x" } } }
    `),
    );
    expect(definition.steps.map((s) => ('execution' in s ? s.execution : undefined))).toEqual(['local', 'remote', 'local', 'remote', 'local']);
  });

  it('refuses execution: local on a command, a child runbook, a long step or a step without a short timeout', () => {
    const issues = issuesOf(
      withSteps(yaml`
      - { id: a, type: command, command: [echo], timeout: 5s, execution: local }
      - { id: b, type: http, request: { url: "http://x" }, timeout: 30s, execution: local }
      - { id: c, type: http, request: { url: "http://x" }, execution: local }
      - { id: d, type: foreach, items: [1], execution: local, step: { type: runbook, runbook: other } }
      - { id: e, type: query, query: up, execution: local }
    `),
    );
    expect(issues).toEqual([
      {
        path: 'steps[0].execution',
        message: 'command steps always run as remote activities (they may run for minutes, heartbeat and are killed on cancel): remove execution: local',
        line: 5,
      },
      {
        path: 'steps[1].execution',
        message:
          "execution: local is for short steps, timeout at most 10s (a local activity holds the workflow task while it runs); this step's timeout is 30s: set a shorter timeout or use execution: remote",
        line: 6,
      },
      {
        path: 'steps[2].execution',
        message:
          'execution: local is for short steps, timeout at most 10s (a local activity holds the workflow task while it runs); without a timeout a http step may take 60s: set a shorter timeout or use execution: remote',
        line: 7,
      },
      { path: 'steps[3].execution', message: 'a runbook step starts a child run (a workflow, not an activity): execution: local does not apply', line: 8 },
      {
        path: 'steps[4].execution',
        message:
          'execution: local is for short steps, timeout at most 10s (a local activity holds the workflow task while it runs); without a timeout a query step may take 30s: set a shorter timeout or use execution: remote',
        line: 9,
      },
    ]);
  });

  it('refuses execution on steps without an activity of their own, and values other than local and remote', () => {
    const issues = issuesOf(
      withSteps(yaml`
      - { id: a, type: wait, duration: 1s, execution: local }
      - { id: b, type: http, request: { url: "http://x" }, execution: nearby }
    `),
    );
    expect(issues.map((i) => i.path)).toEqual(['steps[0].execution', 'steps[1].execution']);
    expect(issues[1]!.message).toMatch(/local|remote/);
  });
});
