import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMPOSE_TOOL } from '../../runbooks/planner/composeTool';
import { startChatStack, TOKENS, type ChatStack } from '../chat/support/chatStack';
import { startFakeAnthropic, type FakeAnthropic } from '../chat/support/fakeAnthropic';
import { runCli, type CliOptions } from './support/cliProcess';

/**
 * `copilot runbooks compose` / `runbooks drafts …` against the real stack (Temporal, worker,
 * Postgres, the API over HTTP) with the FAKE Anthropic Messages API composing: compose prints the
 * plan and the draft id and starts nothing; `drafts` lists it; only an admin's `drafts run` starts it,
 * and that run waits at its gate; a model outage prints the closest catalogue runbooks.
 */
let stack: ChatStack;
let anthropic: FakeAnthropic;
let plannerDir: string;
let composeFails = false;
const as = (token: string): CliOptions => ({ apiUrl: stack.url, token });
const draftName = `cli-restart-${Date.now().toString(36)}`;

beforeAll(async () => {
  anthropic = await startFakeAnthropic();
  anthropic.fallback = (body) =>
    body.tool_choice?.name !== COMPOSE_TOOL
      ? { kind: 'text', text: 'OK.' }
      : composeFails
        ? { kind: 'error', status: 529, type: 'overloaded_error' }
        : {
            kind: 'tool_use',
            name: COMPOSE_TOOL,
            input: {
              name: draftName,
              description: 'Gate, then restart through the catalogue runbook',
              params: { service: { type: 'string', required: true } },
              steps: [
                { id: 'gate', type: 'approval' },
                { id: 'restart', type: 'runbook', needs: ['gate'], runbook: 'restart-service', params: { service: '${{ params.service }}' } },
              ],
            },
          };
  plannerDir = mkdtempSync(path.join(os.tmpdir(), 'cli-planner-'));
  stack = await startChatStack('cli_planner', { ANTHROPIC_API_KEY: anthropic.apiKey, ANTHROPIC_BASE_URL: anthropic.url, LLM_BREAKER_THRESHOLD: '100' }, { plannerDir });
});
afterAll(async () => {
  await stack?.close();
  await anthropic?.close();
  if (plannerDir) rmSync(plannerDir, { recursive: true, force: true });
});

test('compose prints the plan and the draft id; drafts lists it; only an admin starts it, and the run waits at its gate', async () => {
  const composed = await runCli(['runbooks', 'compose', 'restart payments behind an approval'], as(TOKENS.operator));
  expect(composed.stderr).toBe('');
  expect(composed.code).toBe(0);
  const id = /draft\s+([0-9a-f-]{36})/.exec(composed.stdout)?.[1];
  expect(id).toBeDefined();
  expect(composed.stdout).toContain(draftName);
  expect(composed.stdout).toMatch(/gate\s+stop\s+1 of approver\s+restart/);
  expect(composed.stdout).toContain(`copilot runbooks drafts run ${id}`);

  const listed = await runCli(['-o', 'json', 'runbooks', 'drafts'], as(TOKENS.viewer));
  expect(listed.code).toBe(0);
  expect(JSON.parse(listed.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ id, name: draftName, status: 'draft', gates: ['gate'] })]));

  const operator = await runCli(['runbooks', 'drafts', 'run', id!, '-p', 'service=payments'], as(TOKENS.operator));
  expect(operator.code).toBe(1);
  expect(operator.stderr).toContain('admin');

  const admin = await runCli(['runbooks', 'drafts', 'run', id!, '-p', 'service=payments'], as(TOKENS.admin));
  expect(admin.stderr).toBe('');
  expect(admin.code).toBe(0);
  const runId = admin.stdout.split('\n')[0]!;
  expect(runId).toMatch(/^run-/);
  expect(admin.stdout).toContain('waits at: gate');
  const deadline = Date.now() + 15_000;
  let status = '';
  while (Date.now() < deadline && status !== 'waiting_approval') {
    status = (await stack.backends.runs.getState(runId)).status;
    if (status !== 'waiting_approval') await new Promise((r) => setTimeout(r, 150));
  }
  expect(status).toBe('waiting_approval');
});

test('with the model down, compose prints the closest catalogue runbooks and saves nothing', async () => {
  composeFails = true;
  const res = await runCli(['runbooks', 'compose', 'restart the payments service'], as(TOKENS.operator));
  expect(res.code).toBe(0);
  expect(res.stdout).toContain('the model could not compose a runbook (overloaded); no draft; closest catalogue runbooks:');
  expect(res.stdout).toMatch(/restart-service\s+\d\.\d\d\s+matches "restart"/);
  const drafts = await runCli(['-o', 'json', 'runbooks', 'drafts'], as(TOKENS.viewer));
  expect((JSON.parse(drafts.stdout) as unknown[]).length).toBe(1);
});
