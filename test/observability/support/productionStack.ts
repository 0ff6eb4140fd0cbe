import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../temporal/devServer';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase';

/**
 * The production entry points (`npm run api` = api/main.ts, `npm run worker` = workers/main.ts) as
 * child processes against the test Temporal server and a fresh Postgres database, with the real
 * runbook catalogue. For tests of what operators see from outside: /metrics, traces, logs.
 */
export const ROOT = path.resolve(__dirname, '../../..');
export const ADMIN = 'prod-admin-token-0001';
export const APPROVER = 'prod-approver-token-0001';

export interface Proc {
  child: ChildProcess;
  output: string[];
}

export interface ProductionStack {
  apiUrl: string;
  workerMetricsPort: number;
  call(method: string, pathname: string, token: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** Starts another process (e.g. Prometheus) that stop() ends too. */
  spawn(command: string[], env?: Record<string, string>): Proc;
  stop(): Promise<void>;
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000, proc?: Proc): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (proc && proc.child.exitCode !== null) throw new Error(`${what}: process exited ${proc.child.exitCode}\n${proc.output.join('')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms\n${proc?.output.join('') ?? ''}`);
}

async function stopProc(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
    p.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    p.child.kill('SIGTERM');
  });
}

export async function startProductionStack(
  env: Record<string, string> = {},
  options: { waitForWorker?: (stack: ProductionStack, worker: Proc) => Promise<void> } = {},
): Promise<ProductionStack> {
  const testDb: TestDatabase = await createTestDatabase('prod');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'copilot-prod-'));
  const procs: Proc[] = [];
  const start = (command: string[], extra: Record<string, string> = {}): Proc => {
    const child = spawn(command[0]!, command.slice(1), { cwd: ROOT, env: { ...process.env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
    const proc = { child, output };
    procs.push(proc);
    return proc;
  };
  const [apiPort, workerMetricsPort, sdkPort] = [await freePort(), await freePort(), await freePort()];
  const common = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: testDb.url,
    TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS!,
    TASK_QUEUE: `prod-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`,
    AUTH_TOKENS: `${ADMIN}=ada:admin,${APPROVER}=bob:approver`,
    COMMAND_ALLOWLIST: 'restart.sh',
    COMMAND_CWD: ROOT,
    RUNBOOKS_DIR: path.join(ROOT, 'runbooks'),
    DATA_DIR: dataDir,
    ...env,
  };
  const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
  const worker = start([tsx, 'workers/main.ts'], { ...common, METRICS_PORT: String(workerMetricsPort), TEMPORAL_METRICS_PORT: String(sdkPort) });
  const api = start([tsx, 'api/main.ts'], { ...common, PORT: String(apiPort), HOST: '127.0.0.1' });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const stack: ProductionStack = {
    apiUrl,
    workerMetricsPort,
    async call(method, pathname, token, body, headers = {}) {
      const res = await fetch(`${apiUrl}${pathname}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    spawn: start,
    async stop() {
      for (const p of [...procs].reverse()) await stopProc(p);
      rmSync(dataDir, { recursive: true, force: true });
      await testDb.drop();
    },
  };
  try {
    await waitFor('API ready', async () => ((await fetch(`${apiUrl}/ready`)).ok ? true : undefined), 120_000, api);
    // The worker bundles the workflows from source at start-up; it is ready once it polls.
    await (options.waitForWorker?.(stack, worker) ??
      waitFor(
        'worker polling',
        async () =>
          (await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`, { headers: env.METRICS_TOKEN ? { authorization: `Bearer ${env.METRICS_TOKEN}` } : {} }))
            .text()
            .then((t) => (t.includes('temporal_num_pollers') ? true : undefined)),
        180_000,
        worker,
      ));
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}
