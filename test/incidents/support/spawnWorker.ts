import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { IncidentStack } from './incidentStack';

/**
 * Starts `incidentWorkerProcess.ts` in its own OS process on the stack's task queue and database
 * (so a test can SIGKILL it); resolves once it polls. `env` adds copilot variables (LOKI_URL, …).
 */
export function spawnIncidentWorker(stack: IncidentStack, children: ChildProcess[], env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'incidentWorkerProcess.ts')], {
    env: { ...process.env, WORKER_DATABASE_URL: stack.databaseUrl, WORKER_TASK_QUEUE: stack.backends.taskQueue, AUTH_TOKENS: '', INCIDENT_RATE_WINDOW: '10s', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('worker-ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
  });
}

export async function killWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}
