import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../temporal/devServer';
import { AUTH_TOKENS, TOKENS } from './support/fixtures';
import { openSse } from './support/sseClient';
import { createTestDatabase, type TestDatabase } from './support/testDatabase';

/**
 * `npm run api` as a real process: real config loading, the real runbook catalogue, Postgres and
 * Temporal; then SIGTERM with an SSE stream open must end the stream and exit 0.
 */
const root = path.resolve(__dirname, '../..');
let database: TestDatabase;
let child: ChildProcess;
let output = '';
let baseUrl: string;
let exited: Promise<number | null>;

beforeAll(async () => {
  database = await createTestDatabase('api_main');
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'api/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
      TASK_QUEUE: `api-main-${Date.now().toString(36)}`,
      AUTH_TOKENS,
      RUNBOOKS_DIR: 'runbooks',
      SSE_HEARTBEAT_MS: '1000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 45_000;
  while (!output.includes('API listening')) {
    if (child.exitCode !== null) throw new Error(`api/main.ts exited early (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) throw new Error(`api/main.ts did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
  await database?.drop();
});

test('serves probes and the real catalogue, then shuts down gracefully on SIGTERM', async () => {
  const ready = await fetch(`${baseUrl}/ready`);
  expect(ready.status).toBe(200);
  const runbooks = await fetch(`${baseUrl}/api/v1/runbooks`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } });
  expect(runbooks.status).toBe(200);
  const names = ((await runbooks.json()) as { items: { name: string }[] }).items.map((r) => r.name);
  expect(names).toContain('deploy-service');

  // No worker polls this task queue: the run stays open, so its event stream stays open too.
  const started = await fetch(`${baseUrl}/api/v1/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ definition: { name: 'main-shutdown', steps: [{ id: 'pause', type: 'wait', duration: '1h' }] } }),
  });
  expect(started.status).toBe(202);
  const { runId } = (await started.json()) as { runId: string };
  const stream = await openSse(`${baseUrl}/api/v1/runs/${runId}/events`, { token: TOKENS.viewer });
  expect(stream.status).toBe(200);
  await stream.waitFor(() => stream.comments() > 0, 5000);

  const signalled = Date.now();
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  await stream.ended;
  expect(Date.now() - signalled).toBeLessThan(8000);
  expect(output).toContain('"msg":"stopped"');
  for (const token of Object.values(TOKENS)) expect(output).not.toContain(token);
}, 60_000);
