import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../temporal/devServer';

/**
 * Command 1 end to end: scripts/dev.ts in its own process (Temporal dev server with a SQLite file,
 * embedded PGlite, worker, API, demo deploy target). A gated run survives Ctrl-C and a restart.
 * Ctrl-C is sent as a terminal sends it: SIGINT to the whole process group.
 */
jest.setTimeout(180_000);

const root = path.resolve(__dirname, '../..');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'copilot-dev-'));
const processes: ChildProcess[] = [];
let ports: { api: number; temporal: number; ui: number };
const tokens = { admin: 'dev-test-admin-token-0123456789', bob: 'dev-test-bob-token-0123456789ab' };

interface Dev {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output: () => string;
}

function startDev(): Promise<Dev> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/dev.ts')], {
    cwd: root,
    // Its own process group, like a shell job: a terminal's Ctrl-C signals the whole group.
    detached: true,
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
      if (output.includes('Ctrl-C stops everything')) resolve({ child, output: () => output });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`dev.ts exited with ${code}:\n${output}`)));
  });
}

/** Ctrl-C (`times` in a row): SIGINT to the process group. Resolves with the exit code and how long the exit took. */
async function ctrlC(dev: Dev, times = 1): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  const exited = new Promise<number | null>((resolve) => dev.child.once('exit', (code) => resolve(code)));
  for (let i = 0; i < times; i++) {
    process.kill(-dev.child.pid!, 'SIGINT');
    if (i + 1 < times) await new Promise((r) => setTimeout(r, 800)); // a human's second press; relayed copies of one come within ms
  }
  const code = await exited;
  return { code, ms: Date.now() - started };
}

async function api(method: string, route: string, token: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${ports.api}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** An open SSE stream of a run; `ended` resolves once the server ends the response. */
async function openStream(runId: string): Promise<{ firstChunk: string; ended: Promise<void> }> {
  const res = await fetch(`http://127.0.0.1:${ports.api}/api/v1/runs/${runId}/events`, { headers: { authorization: `Bearer ${tokens.admin}` } });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const first = await reader.read();
  const ended = (async () => {
    for (;;) if ((await reader.read()).done) return;
  })();
  return { firstChunk: Buffer.from(first.value ?? new Uint8Array()).toString(), ended: ended.catch(() => undefined) };
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
afterAll(async () => {
  // SIGTERM, not SIGKILL: dev.ts then stops the Temporal server it runs in a process group of its own.
  await Promise.all(
    processes
      .filter((child) => child.exitCode === null && child.signalCode === null)
      .map(async (child) => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
        await exited;
        clearTimeout(timer);
      }),
  );
  rmSync(dataDir, { recursive: true, force: true });
});

let second: Dev;

test('deploy-service end to end; Ctrl-C exits 0 within 10 s with a run at a gate and an SSE stream open; the run resumes after a restart', async () => {
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
  const stream = await openStream(runId);
  expect(stream.firstChunk.length).toBeGreaterThan(0);

  const stopped = await ctrlC(first);
  expect(stopped.code).toBe(0);
  expect(stopped.ms).toBeLessThan(10_000);
  // The server ended the stream; it was not left hanging.
  await expect(Promise.race([stream.ended.then(() => 'ended'), new Promise((r) => setTimeout(() => r('open'), 2000))])).resolves.toBe('ended');
  expect(first.output()).toMatch(/Stopped in \d+\.\d s\./);
  expect(first.output()).not.toMatch(/did not stop within/);
  console.log(`dev mode: Ctrl-C → exit 0 in ${stopped.ms} ms`);

  second = await startDev();
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

test('the banner names the temporal CLI, and its `workflow signal` example, pasted as printed, approves a run (temporal-signal, claimed)', async () => {
  const banner = second.output();
  const cli = /^ {2}temporal CLI (\S+)/m.exec(banner)?.[1];
  expect(cli && path.isAbsolute(cli)).toBe(true);
  if (banner.includes('(not on PATH)')) expect(banner).toContain(`export PATH=${path.dirname(cli!)}:"$PATH"`);
  else expect(banner).not.toContain('export PATH=');
  const command = /^ {2}(\S+ workflow signal .*\\\n.*--name approval --input .*)$/m.exec(banner)?.[1];
  expect(command).toContain(cli!);

  const started = await api('POST', '/api/v1/runs', tokens.admin, {
    runbook: 'deploy-service',
    params: { service: 'auth', version: 'v2.3.2', environment: 'production' },
  });
  const runId = started.json.runId as string;
  await waitForStatus(runId, 'waiting_approval');
  const pasted = command!.replace('<runId>', runId).replace('<your name>', 'carol');
  await promisify(execFile)('/bin/sh', ['-c', pasted], { timeout: 30_000 });
  const done = await waitForStatus(runId, 'succeeded');
  expect((done.approvals as Record<string, unknown>[])[0]).toMatchObject({ decidedBy: 'carol', via: 'temporal-signal', approverClaimed: true });
});

test('a second dev.sh on the same machine refuses to start on the taken ports, naming each and the variable that moves it', async () => {
  const other = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/dev.ts')], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: `${dataDir}-other`,
      PORT: String(ports.api),
      TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
      TEMPORAL_UI_URL: `http://127.0.0.1:${ports.ui}`,
      AUTH_TOKENS: `${tokens.admin}=alice:admin`,
      DEPLOY_API_URL: 'http://127.0.0.1:9',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  processes.push(other);
  let output = '';
  other.stdout.on('data', (c: Buffer) => (output += c.toString()));
  other.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => other.once('exit', resolve));
  expect(code).toBe(1);
  expect(output).toContain(`port ${ports.temporal} on 127.0.0.1 (the Temporal frontend, TEMPORAL_ADDRESS) is already in use`);
  expect(output).toContain(`port ${ports.ui} on 127.0.0.1 (the Temporal Web UI, TEMPORAL_UI_URL) is already in use`);
  expect(output).toContain(`(the API, PORT) is already in use`);
  // The running instance is untouched.
  expect((await api('GET', '/api/v1/runbooks', tokens.admin)).status).toBe(200);
});

test('a second Ctrl-C forces the exit at once', async () => {
  const forced = await ctrlC(second, 2);
  expect(forced.code).toBe(130);
  expect(forced.ms).toBeLessThan(5_000);
  expect(second.output()).toContain('SIGINT again: exiting now');
});
