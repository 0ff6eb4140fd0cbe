import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../temporal/devServer';

/**
 * Command 1 end to end: scripts/dev.ts in its own process (Temporal dev server with a SQLite file,
 * embedded PGlite, worker, API, demo deploy target). A gated run survives Ctrl-C and a restart.
 */
jest.setTimeout(180_000);

const root = path.resolve(__dirname, '../..');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'copilot-dev-'));
const processes: ChildProcess[] = [];
let ports: { api: number; temporal: number; ui: number };
const tokens = { admin: 'dev-test-admin-token-0123456789', bob: 'dev-test-bob-token-0123456789ab' };

function startDev(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/dev.ts')], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(ports.api),
      TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
      TEMPORAL_UI_URL: `http://127.0.0.1:${ports.ui}`,
      AUTH_TOKENS: `${tokens.admin}=alice:admin,${tokens.bob}=bob:approver`,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  processes.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('copilot is running')) resolve(child);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`dev.ts exited with ${code}:\n${output}`)));
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  return exited;
}

async function api(method: string, route: string, token: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${ports.api}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function waitForStatus(runId: string, status: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { json } = await api('GET', `/api/v1/runs/${runId}`, tokens.admin);
    if (json.status === status) return json;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${String(json.status)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
});
afterAll(() => {
  for (const child of processes) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

test('dev mode runs the shipped deploy-service end to end and resumes a waiting run after a restart', async () => {
  const first = await startDev();
  const health = await fetch(`http://127.0.0.1:${ports.api}/ready`);
  expect(health.status).toBe(200);
  const ui = await fetch(`http://127.0.0.1:${ports.ui}/`);
  expect(ui.status).toBe(200);

  const started = await api('POST', '/api/v1/runs', tokens.admin, {
    runbook: 'deploy-service',
    params: { service: 'auth', version: 'v2.3.1', environment: 'production' },
  });
  expect(started.status).toBe(202);
  const runId = started.json.runId as string;
  await waitForStatus(runId, 'waiting_approval');

  expect(await stop(first)).toBe(0);
  await startDev();
  const waiting = await waitForStatus(runId, 'waiting_approval');
  expect((waiting.steps as { id: string; status: string }[]).find((s) => s.id === 'build')!.status).toBe('succeeded');

  const decided = await api('POST', `/api/v1/runs/${runId}/approvals/approve`, tokens.bob, { decision: 'approve' });
  expect(decided.status).toBe(200);
  const done = await waitForStatus(runId, 'succeeded');
  expect((done.steps as { id: string; status: string; attempts: number }[]).map((s) => [s.id, s.status])).toEqual([
    ['preflight', 'skipped'],
    ['build', 'succeeded'],
    ['approve', 'succeeded'],
    ['deploy', 'succeeded'],
    ['smoke', 'succeeded'],
  ]);
});
