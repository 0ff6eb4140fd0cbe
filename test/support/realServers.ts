import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../temporal/devServer';

/**
 * Real PostgreSQL and Prometheus servers for tests, started from the machine's Debian packages
 * (./scripts/test.sh installs them). Each lives in a temp dir on a free loopback port.
 */
export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

function which(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function postgresBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(root, v, 'bin'));
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/**
 * Postgres refuses to run as root, so as root the cluster belongs to the `postgres` user (else
 * `nobody`), and the server is spawned as that user directly (`uid`/`gid`), not through `runuser`:
 * `runuser` does not pass SIGINT on and exits, so stopping it left the postmaster running after
 * its data directory was deleted.
 */
export async function startPostgres(options: { binDir?: string; maxConnections?: number } = {}): Promise<RunningServer> {
  const initdb = options.binDir ? path.join(options.binDir, 'initdb') : which('initdb', postgresBinDirs());
  const postgres = options.binDir ? path.join(options.binDir, 'postgres') : which('postgres', postgresBinDirs());
  if (!initdb || !postgres || !existsSync(initdb) || !existsSync(postgres)) {
    throw new Error(
      options.binDir
        ? `PostgreSQL server binaries not found in ${options.binDir}: run ./scripts/test.sh (installs the pgserver wheel)`
        : "PostgreSQL server binaries not found: run ./scripts/test.sh (installs Debian's postgresql)",
    );
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'copilot-pg-'));
  const dataDir = path.join(dir, 'data');
  const account = serverAccount();
  if (account) {
    chownSync(dir, account.uid, account.gid);
    chmodSync(dir, 0o700);
  }
  execFileSync(initdb, ['-D', dataDir, '-U', 'copilot', '--auth=trust', '-E', 'UTF8', '--no-sync'], { stdio: 'pipe', ...account });
  const port = await freePort();
  const child = spawn(
    postgres,
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-h',
      '127.0.0.1',
      '-k',
      dir,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      `max_connections=${options.maxConnections ?? 300}`,
    ],
    { stdio: 'ignore', ...account },
  );
  const url = `postgres://copilot@127.0.0.1:${port}/postgres`;
  const { Client } = await import('pg');
  await waitFor(async () => {
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.end();
    return true;
  }, 'PostgreSQL');
  return {
    url,
    async stop() {
      await stopChild(child, 'SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** As root, the unprivileged account Postgres runs as: Debian's `postgres`, else `nobody`; else none. */
function serverAccount(): { uid: number; gid: number; env: NodeJS.ProcessEnv } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let name = 'postgres';
  try {
    execFileSync('id', ['-u', name], { stdio: 'pipe' });
  } catch {
    name = 'nobody';
  }
  const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
  // USER and LOGNAME name the account, as runuser set them; HOME is one it can reach (root's is not).
  return { uid, gid, env: { ...process.env, HOME: os.tmpdir(), USER: name, LOGNAME: name } };
}

/**
 * Where scripts/test.sh installs PyPI's `pgserver` wheel (PostgreSQL 16 with the pgvector
 * extension; Debian's postgresql-15 has no pgvector): $PGSERVER_BIN_DIR, else the project-local copy.
 */
export function pgserverBinDir(): string {
  return process.env.PGSERVER_BIN_DIR ?? path.resolve(__dirname, '../../.data/tools/pgserver/pgserver/pginstall/bin');
}

/**
 * A private multi-client Postgres with pgvector, from the pgserver wheel's binaries, on a free
 * port. `vector` is created in template1, so every database created on it has the extension.
 */
export async function startPgvectorPostgres(): Promise<RunningServer> {
  let binDir = pgserverBinDir();
  let copy: string | undefined;
  const account = serverAccount();
  if (account && existsSync(binDir)) {
    try {
      execFileSync('test', ['-x', path.join(binDir, 'postgres')], { stdio: 'pipe', ...account });
    } catch {
      // The checkout sits where the unprivileged server user cannot reach (a 0700 home): run a
      // copy of the install (bin, lib, share and the wheel's bundled libraries, same layout).
      copy = mkdtempSync(path.join(os.tmpdir(), 'copilot-pgserver-'));
      const root = path.resolve(binDir, '../../..');
      cpSync(path.join(root, 'pgserver', 'pginstall'), path.join(copy, 'pgserver', 'pginstall'), { recursive: true });
      cpSync(path.join(root, 'pgserver.libs'), path.join(copy, 'pgserver.libs'), { recursive: true });
      chmodSync(copy, 0o755);
      binDir = path.join(copy, 'pgserver', 'pginstall', 'bin');
    }
  }
  const started = await startPostgres({ binDir }).catch((err: unknown) => {
    if (copy) rmSync(copy, { recursive: true, force: true });
    throw err;
  });
  const server: RunningServer = {
    url: started.url,
    async stop() {
      await started.stop();
      if (copy) rmSync(copy, { recursive: true, force: true });
    },
  };
  const { Client } = await import('pg');
  try {
    for (const database of ['template1', 'postgres']) {
      const url = new URL(server.url);
      url.pathname = `/${database}`;
      const client = new Client({ connectionString: url.toString() });
      await client.connect();
      try {
        await client.query('create extension if not exists vector');
      } finally {
        await client.end();
      }
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

export async function startPrometheus(): Promise<RunningServer> {
  const binary = which('prometheus');
  if (!binary) throw new Error("prometheus not found: run ./scripts/test.sh (installs Debian's prometheus)");
  const dir = mkdtempSync(path.join(os.tmpdir(), 'copilot-prom-'));
  const port = await freePort();
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: prometheus',
      `    static_configs: [{ targets: ["127.0.0.1:${port}"] }]`,
      '',
    ].join('\n'),
  );
  const child = spawn(binary, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  // Ready once the self-scrape has produced a sample, so tests can query `up` straight away.
  await waitFor(async () => {
    const res = await fetch(`${url}/api/v1/query?query=up`);
    const body = (await res.json()) as { data?: { result?: unknown[] } };
    return (body.data?.result?.length ?? 0) > 0;
  }, 'Prometheus');
  return {
    url,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A throwaway Redis on a free port, no persistence. */
export async function startRedis(): Promise<RunningServer> {
  const binary = which('redis-server');
  if (!binary) throw new Error("redis-server not found: run ./scripts/test.sh (installs Debian's redis-server)");
  const dir = mkdtempSync(path.join(os.tmpdir(), 'copilot-redis-'));
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.write('PING\r\n');
          socket.once('data', (d) => {
            socket.destroy();
            resolve(d.toString().startsWith('+PONG'));
          });
        });
        socket.once('error', () => resolve(false));
      }),
    'Redis',
  );
  return {
    url,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
