import { Client, Connection } from '@temporalio/client';
import { ADMIN, startProductionStack, waitFor, type ProductionStack } from '../observability/support/productionStack';

/**
 * Workflow-side actions in the audit trail, through the production processes: approvals sent as
 * a Temporal signal (refused and accepted, the approver marked as claimed) and an action a chat
 * user confirmed, each one row next to the API's own rows, with the chain intact.
 */
jest.setTimeout(240_000);
let stack: ProductionStack;
let connection: Connection;

beforeAll(async () => {
  stack = await startProductionStack();
  connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
});
afterAll(async () => {
  await connection?.close();
  await stack?.stop();
});

type Row = { surface: string; subject: string; subjectClaimed: boolean; action: string; target: string | null; outcome: string; reason: string | null };
const audit = async (query: string): Promise<Row[]> => (await stack.call('GET', `/api/v1/audit?${query}`, ADMIN)).body.items as Row[];

test('signal approvals: a four-eyes refusal and the accepted vote are one row each, surface temporal-signal, approver claimed', async () => {
  const started = await stack.call('POST', '/api/v1/runs', ADMIN, { runbook: 'restart-service', params: { service: 'auth', environment: 'production' } });
  expect(started.status).toBe(202);
  const runId = started.body.runId as string;
  await waitFor('gate open', async () => ((await stack.call('GET', `/api/v1/runs/${runId}`, ADMIN)).body?.status === 'waiting_approval' ? true : undefined));
  const handle = new Client({ connection }).workflow.getHandle(runId);
  // ada requested the run: four-eyes refuses her, whatever `via` the payload claims.
  await handle.signal('approval', { gateId: 'approve', decision: 'approve', approver: 'ada', via: 'api' });
  await waitFor('refusal audited', async () => ((await audit('surface=temporal-signal&outcome=refused')).some((r) => r.target === `${runId}/approve`) ? true : undefined), 30_000);
  await handle.signal('approval', { gateId: 'approve', decision: 'approve', approver: 'carol', comment: 'LGTM' });
  await waitFor('run finished', async () => (['succeeded', 'failed'].includes((await stack.call('GET', `/api/v1/runs/${runId}`, ADMIN)).body?.status) ? true : undefined));

  const rows = (await audit('surface=temporal-signal')).filter((r) => r.target === `${runId}/approve`);
  expect(rows.map((r) => [r.subject, r.subjectClaimed, r.action, r.outcome]).sort()).toEqual([
    ['ada', true, 'approval.decide', 'refused'],
    ['carol', true, 'approval.decide', 'ok'],
  ]);
  expect(rows.find((r) => r.outcome === 'refused')?.reason).toMatch(/four-eyes/);
  // The API's row for starting the run is there too, as an authenticated subject.
  expect((await audit('action=run.start&surface=api')).find((r) => r.target === runId)).toMatchObject({ subject: 'ada', subjectClaimed: false, outcome: 'ok' });
});

test('a run a chat user confirmed is one chat row, naming the user and the run', async () => {
  const session = await stack.call('POST', '/api/v1/sessions', ADMIN, {});
  expect(session.status).toBe(201);
  const id = session.body.sessionId as string;
  const proposal = await stack.call('POST', `/api/v1/sessions/${id}/messages?wait=true`, ADMIN, { content: 'restart auth in staging' });
  expect(proposal.body.reply.text).toMatch(/restart-service/);
  const yes = await stack.call('POST', `/api/v1/sessions/${id}/messages?wait=true`, ADMIN, { content: 'yes' });
  const runId = yes.body.reply.runId as string;
  expect(runId).toMatch(/^run-/);
  const row = await waitFor('chat action audited', async () => (await audit('surface=chat')).find((r) => r.target === runId), 30_000);
  expect(row).toMatchObject({ subject: 'ada', action: 'run.start', outcome: 'ok', subjectClaimed: false });
});
