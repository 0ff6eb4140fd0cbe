import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../temporal/devServer';
import { startAlerting, type Alerting } from '../../test/incidents/support/realAlerting';
import { startPostgres } from '../../test/support/realServers';
import { startDemoSystem, type DemoSystem } from './demoService';

/**
 * The live lab: real processes from Debian packages, each on a free loopback port —
 * `redis-server` behind `prometheus-redis-exporter`, a private PostgreSQL cluster (low
 * max_connections) behind `prometheus-postgres-exporter`, `prometheus-node-exporter` (CPU,
 * filesystem, memory) seeing a small tmpfs of ours, and our OTel-instrumented demo system
 * (demoService.ts) — scraped every second by a real `prometheus` whose rules are written the way the
 * community writes them (awesome-prometheus-alerts; `for:` and windows shortened), firing through a
 * real `prometheus-alertmanager` into the copilot's Alertmanager webhook.
 *
 * Between Alertmanager and the webhook sits a transparent relay: it forwards every notification
 * unchanged (body and Authorization) and notes when it arrived and which incident the API answered
 * with, so the scenarios can measure webhook → first hypothesis and find their incident.
 */

/** Debian packages the lab needs; a missing one skips the live part with its name. */
export const LAB_BINARIES = [
  'prometheus',
  'prometheus-alertmanager',
  'prometheus-node-exporter',
  'prometheus-redis-exporter',
  'prometheus-postgres-exporter',
  'redis-server',
] as const;

function which(name: string, extraDirs: string[] = []): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs]) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
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

/** Why the lab cannot run here (a missing binary, not root), or undefined when it can. */
export function labUnavailable(): string | undefined {
  const missing: string[] = LAB_BINARIES.filter((b) => !which(b));
  if (!which('initdb', postgresBinDirs()) || !which('postgres', postgresBinDirs())) missing.push('postgresql');
  if (missing.length) return `missing Debian packages: ${missing.join(', ')} (apt-get install ${missing.join(' ')})`;
  // Postgres must run as its own user and the tmpfs needs mount(2): both need root here.
  if (process.getuid?.() !== 0) return 'needs root (mount -t tmpfs for the disk fault, the private cluster runs as postgres)';
  return undefined;
}

function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

export interface WebhookArrival {
  at: number;
  alertname: string;
  status: string;
  incidentId?: string;
  action?: string;
}

interface Relay {
  url: string;
  arrivals: WebhookArrival[];
  close(): Promise<void>;
}

async function startRelay(target: string): Promise<Relay> {
  const arrivals: WebhookArrival[] = [];
  const server = http.createServer((req, res) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const parsed = JSON.parse(body.toString() || '{}') as { status?: string; commonLabels?: Record<string, string> };
      const arrival: WebhookArrival = { at, alertname: parsed.commonLabels?.alertname ?? '', status: parsed.status ?? '' };
      arrivals.push(arrival);
      fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' }, body })
        .then(async (r) => {
          const text = await r.text();
          try {
            const answer = JSON.parse(text) as { incidentId?: string; action?: string };
            if (answer.incidentId) arrival.incidentId = answer.incidentId;
            if (answer.action) arrival.action = answer.action;
          } catch {
            // not JSON (an error page): the status says enough to Alertmanager
          }
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' }).end(text);
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/webhooks/alertmanager`,
    arrivals,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/**
 * A private PostgreSQL cluster for the connection fault, with a low max_connections: the tests'
 * starter (a temp dir; under root, run as `postgres`). The exporter's lib/pq wants SSL turned off.
 */
async function startPrivatePostgres(maxConnections: number): Promise<{ url: string; stop(): Promise<void> }> {
  const server = await startPostgres({ maxConnections });
  return { url: `${server.url}?sslmode=disable`, stop: () => server.stop() };
}

/** The lab's alert rules, as the community writes them; only `for:` and the rate windows are shortened. */
export const LAB_RULES: string[] = [
  [
    '      - alert: RedisDown',
    '        expr: redis_up == 0',
    '        for: 1s',
    '        labels: { severity: critical }',
    '        annotations: { summary: "Redis down (instance {{ $labels.instance }})" }',
  ],
  [
    '      - alert: HostHighCpuLoad',
    '        expr: 100 - (avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[10s])) * 100) > 80',
    '        for: 2s',
    '        labels: { severity: warning }',
    '        annotations: { summary: "Host high CPU load (instance {{ $labels.instance }})" }',
  ],
  [
    '      - alert: HostOutOfDiskSpace',
    '        expr: (node_filesystem_avail_bytes * 100) / node_filesystem_size_bytes < 10 and ON (instance, device, mountpoint) node_filesystem_readonly == 0',
    '        for: 1s',
    '        labels: { severity: warning }',
    '        annotations: { summary: "Host out of disk space (instance {{ $labels.instance }})" }',
  ],
  [
    '      - alert: PostgresqlTooManyConnections',
    '        expr: sum by (instance, job, server) (pg_stat_activity_count) > min by (instance, job, server) (pg_settings_max_connections * 0.8)',
    '        for: 1s',
    '        labels: { severity: warning }',
    '        annotations: { summary: "Postgresql too many connections (instance {{ $labels.instance }})" }',
  ],
  [
    '      - alert: PostgresqlTooManyLocksAcquired',
    '        expr: ((sum (pg_locks_count)) / (sum (pg_settings_max_locks_per_transaction) * sum (pg_settings_max_connections))) > 0.20',
    '        for: 1s',
    '        labels: { severity: critical }',
    '        annotations: { summary: "Postgresql too many locks acquired (instance {{ $labels.instance }})" }',
  ],
  [
    '      - alert: HighErrorRate',
    '        expr: sum by (job) (rate(http_server_request_duration_seconds_count{http_response_status_code=~"5.."}[10s])) / sum by (job) (rate(http_server_request_duration_seconds_count[10s])) > 0.05',
    '        for: 2s',
    '        labels: { severity: critical }',
    '        annotations: { summary: "High HTTP 5xx ratio (job {{ $labels.job }})" }',
  ],
  [
    '      - alert: HighLatency',
    '        expr: histogram_quantile(0.95, sum by (le, server_address) (rate(http_client_request_duration_seconds_bucket[10s]))) > 0.25',
    '        for: 2s',
    '        labels: { severity: warning }',
    '        annotations: { summary: "p95 latency of calls to {{ $labels.server_address }} above 250ms" }',
  ],
].map((lines) => lines.join('\n'));

export interface Lab {
  prometheusUrl: string;
  alertmanagerUrl: string;
  arrivals: WebhookArrival[];
  demo: DemoSystem;
  /** node_exporter's scrape address: the host's `instance`. */
  nodeInstance: string;
  postgresInstance: string;
  /** The tmpfs the disk fault fills. */
  diskMount: string;
  diskBytes: number;
  postgresUrl: string;
  postgresMaxConnections: number;
  stopRedis(): Promise<void>;
  startRedis(): Promise<void>;
  stop(): Promise<void>;
}

const DISK_BYTES = 8 * 1024 * 1024;
const PG_MAX_CONNECTIONS = 20;

/**
 * Starts the lab; `webhookUrl` is the copilot's Alertmanager webhook, `token` its bearer token.
 * Whatever started is stopped again when a later part fails.
 */
export async function startLab(options: { webhookUrl: string; token: string; initialVersion: string; brokenVersions: string[] }): Promise<Lab> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const relay = await startRelay(options.webhookUrl);
    stops.push(() => relay.close());

    const [redisPort, redisExporterPort, pgExporterPort, nodePort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    let redis: ChildProcess | undefined;
    const startRedis = async () => {
      redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      await until(async () => {
        const r = await fetch(`http://127.0.0.1:${redisExporterPort}/metrics`).then((x) => x.text());
        return /^redis_up 1$/m.test(r);
      }, 'redis_up 1');
    };
    stops.push(() => stopChild(redis));
    const redisExporter = spawn('prometheus-redis-exporter', [`--redis.addr=redis://127.0.0.1:${redisPort}`, `--web.listen-address=127.0.0.1:${redisExporterPort}`], {
      stdio: 'ignore',
    });
    stops.push(() => stopChild(redisExporter));

    const pg = await startPrivatePostgres(PG_MAX_CONNECTIONS);
    stops.push(() => pg.stop());
    const pgExporter = spawn('prometheus-postgres-exporter', [`--web.listen-address=127.0.0.1:${pgExporterPort}`], {
      stdio: 'ignore',
      env: { ...process.env, DATA_SOURCE_NAME: pg.url },
    });
    stops.push(() => stopChild(pgExporter));

    // The disk: an 8 MiB tmpfs of our own, mounted for the whole run (empty until the fault fills it).
    const diskMount = mkdtempSync(path.join(os.tmpdir(), 'copilot-live-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK_BYTES}`, 'copilot-live-disk', diskMount]);
    stops.push(async () => {
      execFileSync('umount', ['-l', diskMount]);
      rmSync(diskMount, { recursive: true, force: true });
    });
    const nodeExporter = spawn(
      'prometheus-node-exporter',
      ['--collector.disable-defaults', '--collector.cpu', '--collector.filesystem', '--collector.meminfo', '--collector.loadavg', `--web.listen-address=127.0.0.1:${nodePort}`],
      { stdio: 'ignore' },
    );
    stops.push(() => stopChild(nodeExporter));

    const demo = await startDemoSystem({ initialVersion: options.initialVersion, brokenVersions: options.brokenVersions });
    stops.push(() => demo.close());

    const nodeInstance = `127.0.0.1:${nodePort}`;
    const postgresInstance = `127.0.0.1:${pgExporterPort}`;
    const alerting: Alerting = await startAlerting({
      exporter: demo.storefront,
      webhookUrl: relay.url,
      token: options.token,
      jobs: [
        { name: 'redis', target: `127.0.0.1:${redisExporterPort}` },
        { name: 'postgres', target: postgresInstance },
        { name: 'node', target: nodeInstance },
        { name: 'storefront', target: demo.storefront },
        { name: 'inventory', target: demo.inventory },
      ],
      groupBy: ['alertname', 'job'],
      rules: LAB_RULES,
    });
    stops.push(() => alerting.stop());
    await startRedis();
    // Every target answering, and node_exporter already seeing the (empty) tmpfs.
    await until(async () => {
      const r = (await fetch(`${alerting.prometheusUrl}/api/v1/query?query=${encodeURIComponent('up == 1')}`).then((x) => x.json())) as { data: { result: unknown[] } };
      const d = (await fetch(`${alerting.prometheusUrl}/api/v1/query?query=${encodeURIComponent(`node_filesystem_size_bytes{mountpoint="${diskMount}"}`)}`).then((x) =>
        x.json(),
      )) as { data: { result: unknown[] } };
      return r.data.result.length === 5 && d.data.result.length === 1;
    }, 'all five scrape targets up');

    return {
      prometheusUrl: alerting.prometheusUrl,
      alertmanagerUrl: alerting.alertmanagerUrl,
      arrivals: relay.arrivals,
      demo,
      nodeInstance,
      postgresInstance,
      diskMount,
      diskBytes: DISK_BYTES,
      postgresUrl: pg.url,
      postgresMaxConnections: PG_MAX_CONNECTIONS,
      stopRedis: () => stopChild(redis),
      startRedis,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Busy loops, one per core, niced (the machine is shared): the host's idle time goes to ~0. */
export function cpuHog(maxMs: number): { stop(): Promise<void> } {
  const children = os.cpus().map(() => spawn('nice', ['-n', '19', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' }));
  const stop = () => Promise.all(children.map((c) => stopChild(c, 'SIGKILL'))).then(() => undefined);
  const timer = setTimeout(() => void stop(), maxMs);
  return {
    stop: async () => {
      clearTimeout(timer);
      await stop();
    },
  };
}

/** Fills the tmpfs to `share` of its size with one file; returns the undo. */
export function fillDisk(mount: string, bytes: number, share: number): () => void {
  const file = path.join(mount, 'fill.bin');
  mkdirSync(mount, { recursive: true });
  writeFileSync(file, Buffer.alloc(Math.floor(bytes * share), 1));
  return () => unlinkSync(file);
}

/**
 * A migration gone wrong: one transaction holding ACCESS EXCLUSIVE locks on `tables` tables (made
 * first, outside it) until undone — every query on them waits. Returns the undo (rollback).
 */
export async function holdLocks(url: string, tables: number): Promise<() => Promise<void>> {
  const c = new Client({ connectionString: url, application_name: 'stuck-migration' });
  await c.connect();
  await c.query(`do $$ begin for i in 1..${tables} loop execute format('create table if not exists lab_lock_%s (id int)', i); end loop; end $$`);
  await c.query('begin');
  await c.query(`do $$ begin for i in 1..${tables} loop execute format('lock table lab_lock_%s in access exclusive mode', i); end loop; end $$`);
  return async () => {
    await c.query('rollback').catch(() => undefined);
    await c.end().catch(() => undefined);
  };
}

/** Opens connections until `count` are held (idle in a transaction, like a leaking pool). */
export async function holdConnections(url: string, count: number): Promise<() => Promise<void>> {
  const clients: Client[] = [];
  for (let i = 0; i < count; i++) {
    const c = new Client({ connectionString: url, application_name: 'leaky-pool' });
    await c.connect();
    await c.query('begin');
    clients.push(c);
  }
  return async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  };
}
