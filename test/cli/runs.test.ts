import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunbookDocument } from '../../domain/runbook';
import { startChatStack, TOKENS, type ChatStack } from '../chat/support/chatStack';
import { runCli, startCli, tempConfigDir, type CliOptions } from './support/cliProcess';

/**
 * The `copilot` binary against the real stack (Temporal, worker, Postgres, the API over HTTP):
 * exit codes of `runs start --wait` (0 succeeded, 1 failed, 2 rejected or cancelled), json output,
 * the API's field errors, `watch`, approve/reject, plan, login, and offline validation.
 */
const ALWAYS_FAILS: RunbookDocument = {
  name: 'always-fails',
  description: 'a command that is not allow-listed: fails at once',
  steps: [
    { id: 'prep', type: 'wait', duration: '50ms' },
    { id: 'boom', type: 'command', needs: ['prep'], command: ['definitely-not-allowed'], retry: { maxAttempts: 1 } },
  ],
};

let stack: ChatStack;
const as = (token: string, extra: CliOptions = {}): CliOptions => ({ apiUrl: stack.url, token, ...extra });
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[/;

beforeAll(async () => {
  stack = await startChatStack('cli_runs', {}, { runbooks: [ALWAYS_FAILS] });
});

afterAll(async () => {
  await stack?.close();
});

describe('runs start --wait', () => {
  it('exits 0 when the run succeeds, printing each step as it finishes (no colours off a terminal)', async () => {
    const res = await runCli(['runs', 'start', 'deploy-service', '-p', 'service=auth', '-p', 'version=v1', '--wait'], as(TOKENS.operator));
    expect(res.stderr).not.toMatch(/error/);
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^run-[0-9a-f-]{36}$/);
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/started$/), '✔ build', expect.stringMatching(/○ approve skipped/), '✔ deploy', '■ run succeeded']));
    expect(lines.indexOf('✔ build')).toBeLessThan(lines.indexOf('✔ deploy'));
    expect(res.stdout).not.toMatch(ANSI);
  });

  it('exits 1 when the run fails, naming the failed step', async () => {
    const res = await runCli(['runs', 'start', 'always-fails', '--wait'], as(TOKENS.operator));
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/✔ prep/);
    expect(res.stdout).toMatch(/✖ boom: /);
    expect(res.stdout).toMatch(/■ run failed/);
  });

  it('exits 2 when the approval is rejected (from another CLI, as the approver)', async () => {
    const waiting = startCli(['runs', 'start', 'deploy-service', '-p', 'service=auth', '-p', 'version=v2', '-p', 'environment=production', '--wait'], as(TOKENS.operator));
    const runId = await waiting.waitForOutput(/run-[0-9a-f-]{36}/);
    await waiting.waitForOutput(/⏸ approval "approve" waiting: Deploy auth \(roles: approver, four eyes; expires /);
    await waiting.waitForOutput(new RegExp(`copilot runs approve ${runId} approve`));
    const reject = await runCli(['runs', 'reject', runId, '--comment', 'not today'], as(TOKENS.approver));
    expect(reject.stderr).toBe('');
    expect(reject.stdout.trim()).toBe('gate approve: rejected by adam');
    const res = await waiting.done;
    expect(res.code).toBe(2);
    expect(res.stdout).toMatch(/✖ approval "approve" rejected by adam via api: not today/);
  });

  it('exits 2 when the run is cancelled', async () => {
    const waiting = startCli(['runs', 'start', 'deploy-service', '-p', 'service=auth', '-p', 'version=v3', '-p', 'environment=production', '--wait'], as(TOKENS.operator));
    const runId = await waiting.waitForOutput(/run-[0-9a-f-]{36}/);
    await waiting.waitForOutput(/⏸ approval/);
    const cancel = await runCli(['runs', 'cancel', runId], as(TOKENS.operator));
    expect(cancel.stdout.trim()).toBe(`${runId}: cancelling`);
    const res = await waiting.done;
    expect(res.code).toBe(2);
    expect(res.stdout).toMatch(/■ run cancelled/);
  });

  it('pause and resume with a new param: the watcher sees both and the re-planned gate; the approval on the new plan completes it', async () => {
    const waiting = startCli(['runs', 'start', 'deploy-service', '-p', 'service=auth', '-p', 'version=v5', '-p', 'environment=production', '--wait'], as(TOKENS.operator));
    const runId = await waiting.waitForOutput(/run-[0-9a-f-]{36}/);
    await waiting.waitForOutput(/⏸ approval "approve" waiting/);
    const noReason = await runCli(['runs', 'pause', runId], as(TOKENS.operator));
    expect(noReason.code).not.toBe(0);
    const pause = await runCli(['runs', 'pause', runId, '--reason', 'wrong build'], as(TOKENS.operator));
    expect(pause.stdout.trim()).toBe(`${runId}: paused`);
    await waiting.waitForOutput(/⏸ paused by olga: wrong build/);
    const badParam = await runCli(['runs', 'resume', runId, '-p', 'colour=red'], as(TOKENS.operator));
    expect(badParam.code).not.toBe(0);
    expect(badParam.stderr).toMatch(/params\.colour/);
    const resume = await runCli(['runs', 'resume', runId, '-p', 'version=v5.1', '--reason', 'fixed build'], as(TOKENS.operator));
    expect(resume.stderr).toBe('');
    expect(resume.stdout.trim()).toBe(`${runId}: waiting_approval`);
    await waiting.waitForOutput(/▶ resumed by olga \(params changed: version\)/);
    await waiting.waitForOutput(/↻ approval "approve" re-planned/);
    const approve = await runCli(['runs', 'approve', runId], as(TOKENS.approver));
    expect(approve.stdout.trim()).toBe('gate approve: approved by adam');
    const res = await waiting.done;
    expect(res.code).toBe(0);
  });

  it('prints only the final run state as JSON with --output json', async () => {
    const res = await runCli(['--output', 'json', 'runs', 'start', 'deploy-service', '-p', 'service=auth', '-p', 'version=v4', '--wait'], as(TOKENS.operator));
    expect(res.code).toBe(0);
    const state = JSON.parse(res.stdout) as { runId: string; status: string; params: Record<string, unknown>; steps: { id: string; status: string }[] };
    expect(state).toMatchObject({ status: 'succeeded', params: { service: 'auth', version: 'v4', environment: 'staging' } });
    expect(state.steps.map((s) => [s.id, s.status])).toEqual([
      ['build', 'succeeded'],
      ['approve', 'skipped'],
      ['deploy', 'succeeded'],
    ]);
  });

  it("quotes the API's field errors for bad params and exits 1", async () => {
    const res = await runCli(['runs', 'start', 'deploy-service', '-p', 'service=Auth!', '-p', 'environment=prod', '-p', 'colour=red'], as(TOKENS.operator));
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^error: 422 Unprocessable Content: /);
    for (const field of ['params.service', 'params.environment', 'params.version', 'params.colour'])
      expect(res.stderr).toMatch(new RegExp(`\\n  ${field.replace('.', '\\.')}: \\S`));
    const noRole = await runCli(['runs', 'start', 'deploy-service', '-p', 'service=auth', '-p', 'version=v1'], as(TOKENS.viewer));
    expect(noRole.code).toBe(1);
    expect(noRole.stderr).toMatch(/403 Forbidden: this action requires the "operator" role/);
  });
});

describe('runs watch, approve, get, list, plan', () => {
  it('watches a gated run live, an approval from another CLI lets it finish: exit 0', async () => {
    const start = await runCli(['runs', 'start', 'deploy-service', '-p', 'service=cart', '-p', 'version=v5', '-p', 'environment=production'], as(TOKENS.operator));
    expect(start.code).toBe(0);
    const runId = start.stdout.trim();
    expect(start.stderr).toContain(`copilot runs watch ${runId}`);
    const watch = startCli(['runs', 'watch', runId], as(TOKENS.viewer));
    await watch.waitForOutput(/⏸ approval "approve" waiting/);
    const approve = await runCli(['runs', 'approve', runId, 'approve', '-m', 'ship it'], as(TOKENS.approver));
    expect(approve.stdout.trim()).toBe('gate approve: approved by adam');
    const res = await watch.done;
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toEqual(expect.arrayContaining(['✔ build', '✔ approval "approve" approved by adam via api: ship it', '✔ deploy', '■ run succeeded']));
    expect(lines.indexOf('✔ build')).toBeLessThan(lines.findIndex((l) => l.startsWith('⏸')));

    const get = await runCli(['runs', 'get', runId], as(TOKENS.viewer));
    expect(get.stdout).toMatch(/status\s+succeeded/);
    expect(get.stdout).toMatch(/approve\s+approved\s+adam/);
    const ndjson = await runCli(['-o', 'json', 'runs', 'watch', runId], as(TOKENS.viewer));
    expect(ndjson.code).toBe(0);
    const events = ndjson.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; type: string });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)!.type).toBe('run.completed');
  });

  it("refuses the requester's own approval with the API's four-eyes reason", async () => {
    const start = await runCli(['runs', 'start', 'deploy-service', '-p', 'service=cart', '-p', 'version=v6', '-p', 'environment=production'], as(TOKENS.admin));
    const runId = start.stdout.trim();
    const watch = startCli(['runs', 'watch', runId], as(TOKENS.viewer));
    await watch.waitForOutput(/⏸ approval/);
    const own = await runCli(['runs', 'approve', runId], as(TOKENS.admin));
    expect(own.code).toBe(1);
    expect(own.stderr).toMatch(/403 Forbidden: four-eyes: ada requested this run/);
    await runCli(['runs', 'cancel', runId], as(TOKENS.admin));
    expect((await watch.done).code).toBe(2);
  });

  it('lists runs filtered by requester as a table and as JSON', async () => {
    const runId = (await runCli(['runs', 'start', 'restart-service', '-p', 'service=cart'], as(TOKENS.operator))).stdout.trim();
    // Visibility is eventually consistent: wait until the API lists the run, then ask the CLI.
    for (let i = 0; i < 50; i++) {
      const listed = await stack.call('GET', '/api/v1/runs?requester=olga&runbook=restart-service', { token: TOKENS.viewer });
      if (listed.body.items?.some((r: { runId: string }) => r.runId === runId)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const table = await runCli(['runs', 'list', '--requester', 'olga', '--runbook', 'restart-service'], as(TOKENS.viewer));
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^RUN\s+RUNBOOK\s+STATUS\s+REQUESTED BY/);
    expect(table.stdout).toMatch(new RegExp(`${runId}\\s+restart-service\\s+\\w+\\s+olga`));
    const json = await runCli(['-o', 'json', 'runs', 'list', '--requester', 'olga'], as(TOKENS.viewer));
    const page = JSON.parse(json.stdout) as { items: { requestedBy: string }[] };
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((r) => r.requestedBy === 'olga')).toBe(true);
    const bad = await runCli(['runs', 'list', '--status', 'sleeping'], as(TOKENS.viewer));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/400 Bad Request: .*\n {2}query\.status: /);
  });

  it('plans a run without starting it', async () => {
    const res = await runCli(['runs', 'plan', 'deploy-service', '-p', 'service=auth', '-p', 'version=v9', '-p', 'environment=production'], as(TOKENS.operator));
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/batch 1\n {2}build wait/);
    expect(res.stdout).toMatch(/batch 2\n {2}approve approval {2}Deploy auth \[when params\.environment == 'production': runs\]/);
    expect(res.stdout).toMatch(/approve: will stop; 1 of approver, four eyes \(not the requester\); guards deploy/);
    const json = await runCli(['-o', 'json', 'runs', 'plan', 'deploy-service', '-p', 'service=auth', '-p', 'version=v9'], as(TOKENS.operator));
    expect(JSON.parse(json.stdout)).toMatchObject({ batches: [['build'], ['approve'], ['deploy']], gates: [{ gateId: 'approve', stops: 'skipped' }] });
  });
});

describe('runbooks, login', () => {
  it('lists and shows the catalogue', async () => {
    const list = await runCli(['runbooks', 'list'], as(TOKENS.viewer));
    expect(list.stdout).toMatch(/deploy-service\s+3\s+service, version, environment\s+test deploy/);
    const show = await runCli(['runbooks', 'show', 'deploy-service'], as(TOKENS.viewer));
    expect(show.stdout).toMatch(/environment\s+string\s+"staging"\s+staging \| production/);
    const missing = await runCli(['runbooks', 'show', 'nope'], as(TOKENS.viewer));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/404 Not Found/);
  });

  it("validates a runbook file offline with the API's paths and YAML lines", async () => {
    const dir = tempConfigDir();
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, ['name: bad-one', 'steps:', '  - id: a', '    type: wait', '    duration: 1s', '  - id: b', '    type: wiat', '    needs: [zz]', ''].join('\n'));
    const res = await runCli(['runbooks', 'validate', file], { apiUrl: 'http://127.0.0.1:9' }); // no API needed
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(`${file}:7 steps[1].type: unknown step type "wiat"`);
    expect(res.stdout).toContain(`${file}:8 steps[1].needs[0]: unknown step "zz" in needs`);
    const good = await runCli(['runbooks', 'validate', path.resolve(__dirname, '../../runbooks/deploy-service.yaml')]);
    expect(good.code).toBe(0);
    expect(good.stdout).toBe('valid: deploy-service (5 steps)\n');
  });

  it('login checks the token, stores it with mode 0600, and later commands use it', async () => {
    const configDir = tempConfigDir();
    const bad = await runCli(['--api-url', stack.url, 'login', '--token-stdin'], { configDir, input: 'not-a-token-123\n' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/401 Unauthorized/);
    const res = await runCli(['--api-url', stack.url, 'login', '--token-stdin'], { configDir, input: `${TOKENS.approver}\n` });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/subject\s+adam/);
    const file = path.join(configDir, 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ apiUrl: stack.url, token: TOKENS.approver });
    const who = await runCli(['-o', 'json', 'whoami'], { configDir });
    expect(JSON.parse(who.stdout)).toMatchObject({ apiUrl: stack.url, subject: 'adam', permissions: { decideApprovals: true, startRuns: false } });
    // COPILOT_TOKEN beats the stored token.
    const env = await runCli(['-o', 'json', 'whoami'], { configDir, token: TOKENS.viewer });
    expect(JSON.parse(env.stdout)).toMatchObject({ subject: 'vera' });
  });

  it('says where it could not connect', async () => {
    const res = await runCli(['runbooks', 'list'], { apiUrl: 'http://127.0.0.1:9', token: TOKENS.viewer });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: cannot reach the copilot API at http:\/\/127\.0\.0\.1:9/);
  });
});
