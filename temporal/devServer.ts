import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from './searchAttributes';

/**
 * Launches `temporal server start-dev` as a child process: a real Temporal server (SQLite-backed
 * when dbFile is given, so runs survive restarts) with the project's search attributes registered.
 */
export interface DevServerOptions {
  cliPath: string;
  ip?: string;
  port?: number;
  /** UI port; `false` runs headless (tests). */
  uiPort?: number | false;
  dbFile?: string;
  namespace?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Where the server's own output goes; default: discarded. */
  logFile?: NodeJS.WritableStream;
  /** Own process group, so a terminal's Ctrl-C reaches only the parent, which stops the server last. */
  detached?: boolean;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Server settings the dev stack relies on for latency. Eager workflow start (RunClient's
 * `eagerStartClient`) and eager activity dispatch (a workflow task completion returns the activity
 * it scheduled to the same worker) are named even though 1.32 has them on, so an older CLI behaves
 * the same.
 *
 * `history.transferProcessorMaxPollRPS`: every workflow task a history event schedules (an activity
 * completed, a signal, a run started the ordinary way) reaches matching through the shard's transfer
 * queue, whose reader may load new tasks at most this often per second per shard (default 20). The
 * dev server has one shard, so that limit capped the whole server at ~20 such tasks a second: a
 * chain of no-op activities ran at 19.7 steps/s, each task waiting 36 ms p50 for the reader
 * (the server's own `task_latency_load` metric), and 2.9 ms once raised. A cluster spreads this
 * over its shards (hundreds, typically), which is why the default is low.
 */
const DEV_DYNAMIC_CONFIG: Record<string, boolean | number> = {
  'system.enableEagerWorkflowStart': true,
  'system.enableActivityEagerExecution': true,
  'history.transferProcessorMaxPollRPS': 1000,
};

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? (await freePort(ip));
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--log-level', options.logLevel ?? 'warn'];
  if (options.uiPort === false) args.push('--headless');
  else if (options.uiPort !== undefined) args.push('--ui-port', String(options.uiPort));
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries(DEV_DYNAMIC_CONFIG)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);

  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(options.detached ? { detached: true } : {}) });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
    options.logFile?.write(chunk);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const address = `${ip}:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`temporal server start-dev exited with code ${child.exitCode}:\n${output}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`temporal dev server at ${address} did not become ready in 60s: ${String(err)}\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  const uiUrl = options.uiPort === false ? undefined : `http://${ip}:${options.uiPort ?? port + 1000}`;
  return {
    address,
    uiUrl,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
