import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { SqlEventStore } from '../../db/eventStore';
import type { PauseRequest } from '../../domain/pause';
import { RunbookDefinition } from '../../domain/runbook';
import type { RunState } from '../../domain/runState';
import { startFakeTarget, type FakeTarget } from '../support/fakeDeployTarget';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase';
import { workerProcesses } from '../support/workerProcesses';

/** A paused run outlives its worker: SIGKILL the worker while paused, a new one still holds the pause and resumes. */
let database: TestDatabase;
let target: FakeTarget;
let connection: Connection;
const taskQueue = `pause-restart-${randomUUID()}`;

const workers = workerProcesses(() => ({ databaseUrl: database.url, taskQueue }));

beforeAll(async () => {
  database = await createTestDatabase('pause_restart');
  target = await startFakeTarget();
  connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
});
afterAll(async () => {
  workers.killAll();
  await connection?.close();
  await target?.close();
  await database?.drop();
});

test('a pause survives a worker restart: the new worker keeps the run paused and resumes it', async () => {
  const first = await workers.start();
  const client = new Client({ connection });
  const runId = `run-${randomUUID()}`;
  const runbook = RunbookDefinition.parse({
    name: 'pause-survives',
    steps: [
      { id: 'before', type: 'http', request: { method: 'POST', url: `${target.url}/before` } },
      { id: 'after', type: 'http', needs: ['before'], request: { method: 'POST', url: `${target.url}/after` } },
    ],
  });
  target.delay('/before', 1000);
  const handle = await client.workflow.start('runbookRun', {
    taskQueue,
    workflowId: runId,
    args: [{ runId, runbook, params: {}, requestedBy: { sub: 'ci', roles: ['operator'] } }],
  });
  const events = new SqlEventStore(database.db);
  const waitFor = async (type: string) => {
    const deadline = Date.now() + 20_000;
    while (!(await events.list(runId, 0)).some((e) => e.type === type)) {
      if (Date.now() > deadline) throw new Error(`${type} never appeared`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await waitFor('step.started');
  const request: PauseRequest = { by: 'olga', roles: ['operator'], via: 'api', reason: 'maintenance window' };
  await handle.executeUpdate('pauseRun', { args: [request] });
  await waitFor('step.succeeded');
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));

  await workers.start();
  const state = await handle.query<RunState>('state');
  expect(state.status).toBe('paused');
  expect(state.pause).toMatchObject({ by: 'olga', reason: 'maintenance window' });
  expect(state.steps.map((s) => s.status)).toEqual(['succeeded', 'pending']);
  expect(target.calls('/after')).toHaveLength(0);

  await handle.executeUpdate('resumeRun', { args: [{ ...request, reason: 'window over' }] });
  const final = (await handle.result()) as RunState;
  expect(final.status).toBe('succeeded');
  expect(target.calls('/before')).toHaveLength(1);
  expect(target.calls('/after')).toHaveLength(1);
  const log = await events.list(runId, 0);
  expect(log.map((e) => e.seq)).toEqual(log.map((_, i) => i + 1));
  expect(log.filter((e) => e.type === 'run.paused')).toHaveLength(1);
  expect(log.filter((e) => e.type === 'run.resumed')).toHaveLength(1);
});
