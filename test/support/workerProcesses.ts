import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Real worker processes (`workerProcess.ts`) for restart tests: each start spawns one and resolves
 * once it polls; `killAll` SIGKILLs whatever is still running (afterAll).
 */
export interface WorkerProcesses {
  start(): Promise<ChildProcess>;
  killAll(): void;
}

export function workerProcesses(env: () => { databaseUrl: string; taskQueue: string }): WorkerProcesses {
  const children: ChildProcess[] = [];
  return {
    start() {
      const { databaseUrl, taskQueue } = env();
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'workerProcess.ts')], {
        env: { ...process.env, WORKER_DATABASE_URL: databaseUrl, WORKER_TASK_QUEUE: taskQueue },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      return new Promise((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('worker-ready')) resolve(child);
        });
        child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
      });
    },
    killAll() {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
