import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { SqlEventStore } from '../../db/eventStore';
import { RunbookDefinition } from '../../domain/runbook';
import type { RunState } from '../../domain/runState';
import { startFakeTarget, type FakeTarget } from '../support/fakeDeployTarget';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase';
import { workerProcesses } from '../support/workerProcesses';

/** A worker process killed with SIGKILL mid-run; a new one finishes the run without redoing work. */
let database: TestDatabase;
let target: FakeTarget;
let connection: Connection;
const taskQueue = `restart-${randomUUID()}`;

const workers = workerProcesses(() => ({ databaseUrl: database.url, taskQueue }));

beforeAll(async () => {
  database = await createTestDatabase('restart');
  target = await startFakeTarget();
  connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
});
afterAll(async () => {
  workers.killAll();
  await connection?.close();
  await target?.close();
  await database?.drop();
});

test('killing the worker mid-run loses nothing: a new worker completes it and completed steps are not re-run', async () => {
  const first = await workers.start();
  const client = new Client({ connection });
  const runId = `run-${randomUUID()}`;
  const runbook = RunbookDefinition.parse({
    name: 'survive',
    steps: [
      { id: 'before', type: 'http', request: { method: 'POST', url: `${target.url}/before` } },
      { id: 'pause', type: 'wait', needs: ['before'], duration: '3s' },
      { id: 'after', type: 'http', needs: ['pause'], request: { method: 'POST', url: `${target.url}/after` } },
    ],
  });
  const handle = await client.workflow.start('runbookRun', {
    taskQueue,
    workflowId: runId,
    args: [{ runId, runbook, params: {}, requestedBy: { sub: 'ci', roles: ['operator'] } }],
  });
  const events = new SqlEventStore(database.db);
  const deadline = Date.now() + 20_000;
  while (!(await events.list(runId, 0)).some((e) => e.type === 'step.started' && e.data.stepId === 'pause')) {
    if (Date.now() > deadline) throw new Error('pause step never started');
    await new Promise((r) => setTimeout(r, 100));
  }
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));

  await workers.start();
  const state = (await handle.result()) as RunState;
  expect(state.status).toBe('succeeded');
  expect(target.calls('/before')).toHaveLength(1);
  expect(target.calls('/after')).toHaveLength(1);
  const log = await events.list(runId, 0);
  expect(log.map((e) => e.seq)).toEqual(log.map((_, i) => i + 1));
  expect(log.filter((e) => e.type === 'step.succeeded').map((e) => e.data.stepId)).toEqual(['before', 'pause', 'after']);
  expect(log.filter((e) => e.type === 'run.started')).toHaveLength(1);
  expect(log.at(-1)!.type).toBe('run.completed');
});
