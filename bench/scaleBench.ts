import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from '../db/database';
import { SqlEventStore } from '../db/eventStore';
import { openDatabase } from '../db/openDatabase';
import { findTemporalCli } from '../temporal/cliLocator';
import { freePort, startDevServer, type DevServer } from '../temporal/devServer';
import { startPostgres, type RunningServer } from '../test/support/realServers';
import { writeWorkflowBundle } from '../workers/workflowBundle';
import { recordRows, type BenchRow } from './report';
import { fmt, summary } from './stats';

/**
 * `BENCH_SUITES=scale npm run bench`: issue 16 §2 at scale, with the production entry points as
 * separate OS processes (`api/main.ts` and `workers/main.ts`, as `npm run api` / `npm run worker`
 * start them, minus the npm/tsx wrapper processes) so every RSS figure is one process's own:
 *  - idle RSS of the API and the worker with nothing running, under tsx and compiled (`npm run build`,
 *    node dist/…, WORKFLOW_BUNDLE_PATH from `npm run build:workflows`) side by side;
 *  - BENCH_PARKED_RUNS (10 000) runs parked at approval gates: start rate, RSS once all are parked,
 *    the worker's sticky cache size (temporal_sticky_cache_size on its /metrics) against its limit,
 *    then every gate approved through POST /runs/:id/approvals/:gate and the rate runs complete;
 *  - BENCH_SSE_SUBSCRIBERS (10 000) SSE subscribers on one run of one API process, held by
 *    BENCH_SSE_CLIENT_PROCESSES (2) client processes so their parsing is not the API's CPU:
 *    delivery delay of BENCH_SSE_PINGS events, the API's RSS and CPU per event.
 * Quick check: BENCH_PARKED_RUNS=200 BENCH_SSE_SUBSCRIBERS=500 BENCH_WRITE=0. BENCH_SCALE_SCENARIOS
 * picks some of idle,parked,sse. Every child gets `ulimit -n BENCH_FD_LIMIT` (65536).
 */
const ROOT = path.resolve(__dirname, '..');
const SUITE = 'scale';
const PARKED = Number(process.env.BENCH_PARKED_RUNS ?? 10_000);
const SUBSCRIBERS = Number(process.env.BENCH_SSE_SUBSCRIBERS ?? 10_000);
const CLIENT_PROCESSES = Math.max(1, Number(process.env.BENCH_SSE_CLIENT_PROCESSES ?? 2));
const CONCURRENCY = Number(process.env.BENCH_SCALE_CONCURRENCY ?? 32);
const PINGS = Number(process.env.BENCH_SSE_PINGS ?? 20);
// Far enough apart that one event's fanout (10 000 writes here, as many reads in the clients) drains
// before the next: the figure is then the delivery delay, not a queue building up on a 2-core machine.
const PING_INTERVAL_MS = Number(process.env.BENCH_SSE_PING_INTERVAL_MS ?? 1000);
const FD_LIMIT = Number(process.env.BENCH_FD_LIMIT ?? 65_536);
const SCENARIOS = new Set((process.env.BENCH_SCALE_SCENARIOS ?? 'idle,parked,sse').split(',').map((s) => s.trim()));

const ADMIN = 'scale-admin-token-000000000000';
const APPROVER = 'scale-approver-token-0000000000';
const GATED_RUN = { name: 'bench-parked', steps: [{ id: 'gate', type: 'approval', approvers: { roles: ['approver'], count: 1 } }] };

interface Proc {
  name: string;
  child: ChildProcess;
  output: string[];
  /** Set when we end it, so only an unexpected exit prints the process's output. */
  stopping: boolean;
}

const procs: Proc[] = [];

/**
 * `node --import tsx <script>` under `ulimit -n FD_LIMIT` (exec keeps the pid, so /proc/<pid> is the node process);
 * `compiled`: plain `node dist/<script>.js` as `npm run start:api` / `start:worker` run it (`npm run build`).
 */
/**
 * The node flags and environment assignments of `npm run start:<name>` (package.json), so the API and
 * worker here run with what production runs (deploy/Dockerfile starts them through those scripts).
 */
export function startScriptSettings(name: 'api' | 'worker'): { flags: string[]; env: Record<string, string> } {
  const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const words = (scripts[`start:${name}`] ?? '').split(/\s+/);
  const env = Object.fromEntries(words.filter((w) => /^[A-Z_][A-Z0-9_]*=/.test(w)).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
  return { flags: words.filter((w) => w.startsWith('--')), env };
}

function startNode(name: string, script: string, env: NodeJS.ProcessEnv, ipc = false, compiled = false, settings?: 'api' | 'worker'): Proc {
  const raise = `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
  const production = settings ? startScriptSettings(settings) : { flags: [], env: {} };
  const args = [...production.flags, ...(compiled ? [path.join('dist', script.replace(/\.ts$/, '.js'))] : ['--import', 'tsx', script])];
  const child = spawn('/bin/sh', ['-c', raise, process.execPath, ...args], {
    cwd: ROOT,
    env: { ...env, ...production.env },
    stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? (['ipc'] as const) : [])],
  });
  const output: string[] = [];
  const keep = (d: Buffer) => {
    output.push(d.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const proc: Proc = { name, child, output, stopping: false };
  child.once('exit', (code, signal) => {
    if (!proc.stopping) console.error(`${name} exited early (${code ?? signal}):\n${output.join('')}`);
  });
  procs.push(proc);
  return proc;
}

async function stopProc(p: Proc): Promise<void> {
  p.stopping = true;
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

function procStatus(pid: number, field: string): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return Number.NaN; // the process is gone: its exit handler reports why
  }
  const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status);
  return match ? Number(match[1]) : Number.NaN;
}

const rssMb = (p: Proc): number => procStatus(p.child.pid!, 'VmRSS') / 1024;

/** Proportional set size: pages shared between processes (the node binary, libraries) split among them, so PSS adds up across processes and RSS does not. */
function pssMb(p: Proc): number {
  try {
    const match = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${p.child.pid!}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** User + system CPU time of a process so far, in ms (/proc/<pid>/stat fields 14 and 15, in clock ticks of 10 ms). */
function cpuMs(p: Proc): number {
  const stat = readFileSync(`/proc/${p.child.pid!}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function openFilesLimit(p: Proc): number {
  const match = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${p.child.pid!}/limits`, 'utf8'));
  return match ? Number(match[1]) : Number.NaN;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, proc?: Proc): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (proc && proc.child.exitCode !== null) throw new Error(`${what}: ${proc.name} exited ${proc.child.exitCode}\n${proc.output.join('')}`);
    await sleep(250);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms\n${proc?.output.join('') ?? ''}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `task(i)` for i < n with at most `limit` in flight. */
async function pool(n: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane));
}

/** Sum of a Prometheus gauge over its label sets; undefined when the exposition does not have it. */
function gauge(exposition: string, name: string): number | undefined {
  let total: number | undefined;
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match?.[1] === name) total = (total ?? 0) + Number(match[3]);
  }
  return total;
}

interface Stack {
  apiUrl: string;
  api: Proc;
  worker: Proc;
  workerMetricsUrl: string;
  db: Database;
  events: SqlEventStore;
  call(method: string, pathname: string, token: string, body?: unknown): Promise<Record<string, unknown>>;
  request(method: string, pathname: string, token: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

/** How the API and worker run: through tsx from source (`npm run api`), or compiled JS with a prebuilt workflow bundle. */
type StackMode = 'tsx' | 'compiled';

async function startStack(databaseUrl: string, temporalAddress: string, dataDir: string, mode: StackMode = 'tsx'): Promise<Stack> {
  const [apiPort, workerMetricsPort, sdkPort] = [await freePort(), await freePort(), await freePort()];
  const common: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    // Its own queue per mode: a second stack's worker must not take the first one's tasks.
    TASK_QUEUE: mode === 'tsx' ? 'bench-scale' : `bench-scale-${mode}`,
    ...(mode === 'compiled' ? { WORKFLOW_BUNDLE_PATH: COMPILED_BUNDLE } : {}),
    AUTH_TOKENS: `${ADMIN}=scale-admin:admin,${APPROVER}=scale-approver:approver`,
    RUNBOOKS_DIR: path.join(ROOT, 'runbooks'),
    COMMAND_CWD: ROOT,
    DATA_DIR: dataDir,
    // One benchmark client is one subject from one IP: the per-minute limits would measure themselves.
    RATE_LIMIT_PER_SUBJECT: '0',
    RATE_LIMIT_PER_IP: '0',
  };
  const suffix = mode === 'tsx' ? '' : `-${mode}`;
  const compiled = mode === 'compiled';
  const worker = startNode(
    `worker${suffix}`,
    'workers/main.ts',
    { ...common, METRICS_PORT: String(workerMetricsPort), TEMPORAL_METRICS_PORT: String(sdkPort) },
    false,
    compiled,
    'worker',
  );
  const api = startNode(`api${suffix}`, 'api/main.ts', { ...common, PORT: String(apiPort), HOST: '127.0.0.1' }, false, compiled, 'api');
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const workerMetricsUrl = `http://127.0.0.1:${workerMetricsPort}/metrics`;
  await waitFor('API ready', async () => ((await fetch(`${apiUrl}/ready`)).ok ? true : undefined), 180_000, api);
  // The worker bundles the workflows from source at start-up (compiled: loads the prebuilt bundle); it is ready once it polls.
  await waitFor('worker polling', async () => ((await (await fetch(workerMetricsUrl)).text()).includes('temporal_num_pollers') ? true : undefined), 240_000, worker);
  const db = await openDatabase({ databaseUrl, dataDir: '/nonexistent' });
  const stack: Stack = {
    apiUrl,
    api,
    worker,
    workerMetricsUrl,
    db,
    events: new SqlEventStore(db),
    async request(method, pathname, token, body) {
      const res = await fetch(`${apiUrl}${pathname}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: await res.json() };
    },
    async call(method, pathname, token, body) {
      const res = await stack.request(method, pathname, token, body);
      if (res.status >= 300) throw new Error(`${method} ${pathname} → ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body as Record<string, unknown>;
    },
  };
  return stack;
}

/** Events of `type` in run streams (approval.requested is also copied to the approvals feed stream). */
async function countEvents(db: Database, type: string): Promise<number> {
  const rows = await db.query<{ n: number }>("select count(*)::int as n from run_events where type = $1 and stream_id like 'run-%'", [type]);
  return rows[0]!.n;
}

/** waitFor on a count, printing progress every 15 s (a 10 000-run phase takes minutes). */
async function waitForCount(what: string, count: () => Promise<number>, target: number, proc: Proc): Promise<void> {
  let lastLog = Date.now();
  await waitFor(
    what,
    async () => {
      const n = await count();
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now();
        console.log(`  … ${what}: ${n} of ${target}; worker RSS ${rssMb(proc).toFixed(0)} MB`);
      }
      return n >= target ? true : undefined;
    },
    3_600_000,
    proc,
  );
}

const COMPILED_BUNDLE = path.join(ROOT, 'dist', 'workflow-bundle.js');
const IDLE_MODES = (process.env.BENCH_IDLE_MODES ?? 'tsx,compiled').split(',').map((s) => s.trim());

/** `npm run build` + `npm run build:workflows`, as the production image does (deploy/Dockerfile). */
async function buildCompiled(): Promise<void> {
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const tsc = spawn(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    tsc.once('error', reject);
    tsc.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc -p tsconfig.build.json exited ${code}`))));
  });
  await writeWorkflowBundle(COMPILED_BUNDLE);
  console.log(`built dist/ and ${path.relative(ROOT, COMPILED_BUNDLE)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Idle RSS of one stack, after start-up garbage (the webpack bundle, module loading) has had time to be collected. */
async function measureIdle(stack: Stack, mode: StackMode): Promise<BenchRow[]> {
  await sleep(Number(process.env.BENCH_IDLE_SETTLE_MS ?? 10_000));
  const api = rssMb(stack.api);
  const worker = rssMb(stack.worker);
  const pss = pssMb(stack.api) + pssMb(stack.worker);
  console.log(`idle RSS (${mode}): API ${api.toFixed(0)} MB, worker ${worker.toFixed(0)} MB, together ${(api + worker).toFixed(0)} MB (PSS together ${pss.toFixed(0)} MB)`);
  const settingsOf = (name: 'api' | 'worker'): string => {
    const flags = startScriptSettings(name);
    return `${name}: ${[...Object.entries(flags.env).map(([k, v]) => `${k}=${v}`), ...flags.flags].join(' ')}`;
  };
  const note = `${mode === 'tsx' ? 'node --import tsx, worker bundles at start' : 'node dist/…js, WORKFLOW_BUNDLE_PATH'}; ${settingsOf('api')}; ${settingsOf('worker')}`;
  return [
    { suite: SUITE, scenario: `idle-rss-api-${mode}`, figure: api, unit: 'MB', note },
    { suite: SUITE, scenario: `idle-rss-worker-${mode}`, figure: worker, unit: 'MB', note },
    { suite: SUITE, scenario: `idle-rss-total-${mode}`, figure: api + worker, unit: 'MB', note, ...(mode === 'compiled' ? { target: { op: '<' as const, value: 300 } } : {}) },
    { suite: SUITE, scenario: `idle-pss-total-${mode}`, figure: pss, unit: 'MB', note: 'PSS: the node binary and shared libraries counted once, not once per process' },
  ];
}

/**
 * Idle RSS side by side: the tsx stack every scenario uses, then a second stack of the compiled entry
 * points with the prebuilt workflow bundle (how production runs, deploy/Dockerfile), started, measured
 * and stopped while the first idles. BENCH_IDLE_MODES picks tsx and/or compiled.
 */
async function idleRss(stack: Stack, databaseUrl: string, temporalAddress: string, dataDir: string): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  if (IDLE_MODES.includes('tsx')) rows.push(...(await measureIdle(stack, 'tsx')));
  if (IDLE_MODES.includes('compiled')) {
    await buildCompiled();
    const compiled = await startStack(databaseUrl, temporalAddress, path.join(dataDir, 'compiled'), 'compiled');
    try {
      rows.push(...(await measureIdle(compiled, 'compiled')));
    } finally {
      await stopProc(compiled.worker);
      await stopProc(compiled.api);
      await compiled.db.close();
    }
  }
  return rows;
}

/** Samples both processes' RSS and the worker's sticky cache every second while a phase runs. */
function startSampler(stack: Stack) {
  const peak = { api: 0, worker: 0, cache: 0, cacheSeen: false };
  let stopped = false;
  const tick = async (): Promise<void> => {
    while (!stopped) {
      peak.api = Math.max(peak.api, rssMb(stack.api));
      peak.worker = Math.max(peak.worker, rssMb(stack.worker));
      const size = await fetch(stack.workerMetricsUrl)
        .then((r) => r.text())
        .then((t) => gauge(t, 'temporal_sticky_cache_size'))
        .catch(() => undefined);
      if (size !== undefined) {
        peak.cacheSeen = true;
        peak.cache = Math.max(peak.cache, size);
      }
      await sleep(1000);
    }
  };
  const running = tick();
  return {
    peak,
    async stop() {
      stopped = true;
      await running;
    },
  };
}

/**
 * The worker's sticky cache limit. The worker may publish it as a gauge of its own; otherwise it is
 * the SDK's default for the worker's heap (reuseV8Context: max(10, (heap MiB − 200) × 600 / 1024),
 * @temporalio/worker 1.24 worker-options.ts) unless WORKER_MAX_CACHED_WORKFLOWS sets it.
 */
async function cacheLimit(stack: Stack): Promise<{ limit: number; source: string }> {
  const exposition = await (await fetch(stack.workerMetricsUrl)).text();
  const published = gauge(exposition, 'copilot_worker_max_cached_workflows');
  if (published !== undefined) return { limit: published, source: 'worker /metrics' };
  const configured = Number(process.env.WORKER_MAX_CACHED_WORKFLOWS || Number.NaN); // 0 disables the cache
  if (Number.isInteger(configured) && configured >= 0) return { limit: configured, source: 'WORKER_MAX_CACHED_WORKFLOWS' };
  const heapMiB = Number(
    await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['-p', "require('v8').getHeapStatistics().heap_size_limit / 1048576"], { env: process.env });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.once('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`heap probe exited ${code}`))));
    }),
  );
  return { limit: Math.max(Math.floor((Math.max(heapMiB - 200, 0) * 600) / 1024), 10), source: `SDK default for a ${heapMiB.toFixed(0)} MiB heap` };
}

async function parkedRuns(stack: Stack): Promise<BenchRow[]> {
  const { limit, source } = await cacheLimit(stack);
  const sampler = startSampler(stack);
  const parkedBefore = await countEvents(stack.db, 'approval.requested');
  const runIds: string[] = new Array<string>(PARKED);
  const t0 = performance.now();
  await pool(PARKED, CONCURRENCY, async (i) => {
    runIds[i] = (await stack.call('POST', '/api/v1/runs', ADMIN, { definition: GATED_RUN })).runId as string;
    if ((i + 1) % 1000 === 0) console.log(`  … ${i + 1} runs started`);
  });
  const startedMs = performance.now() - t0;
  await waitForCount('runs parked', async () => (await countEvents(stack.db, 'approval.requested')) - parkedBefore, PARKED, stack.worker);
  const parkedMs = performance.now() - t0;
  await sleep(2000); // let the last workflow tasks finish before reading memory
  const parkedRss = { api: rssMb(stack.api), worker: rssMb(stack.worker) };
  console.log(
    `${PARKED} runs started in ${(startedMs / 1000).toFixed(1)} s (${((PARKED * 1000) / startedMs).toFixed(1)} runs/s), all parked after ${(parkedMs / 1000).toFixed(1)} s; RSS API ${parkedRss.api.toFixed(0)} MB, worker ${parkedRss.worker.toFixed(0)} MB`,
  );

  const completedBefore = await countEvents(stack.db, 'run.completed');
  const t1 = performance.now();
  let retried = 0;
  await pool(PARKED, CONCURRENCY, async (i) => {
    for (let attempt = 1; ; attempt++) {
      const res = await stack.request('POST', `/api/v1/runs/${runIds[i]}/approvals/gate`, APPROVER, { decision: 'approve' });
      // A retry after a 5xx may find its first attempt applied after all: 409 "already decided".
      if (res.status < 300 || (attempt > 1 && res.status === 409)) break;
      // An overloaded worker lets workflow tasks time out; Temporal then refuses updates until a retried
      // task succeeds (FAILED_PRECONDITION "Workflow Task in failed state", a 500 from the API today).
      if (res.status < 500 || attempt === 10) throw new Error(`approval of ${runIds[i]} → ${res.status}: ${JSON.stringify(res.body)}`);
      retried++;
      if (retried <= 3) console.warn(`  approval of ${runIds[i]} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}; retrying`);
      await sleep(Math.min(5000, 500 * attempt));
    }
    if ((i + 1) % 1000 === 0) console.log(`  … ${i + 1} gates approved`);
  });
  const approvedMs = performance.now() - t1;
  await waitForCount('runs completed', async () => (await countEvents(stack.db, 'run.completed')) - completedBefore, PARKED, stack.worker);
  const completedMs = performance.now() - t1;
  await sampler.stop();
  const { peak } = sampler;
  const after = { api: rssMb(stack.api), worker: rssMb(stack.worker) };
  console.log(
    `approved ${PARKED} gates in ${(approvedMs / 1000).toFixed(1)} s (${((PARKED * 1000) / approvedMs).toFixed(1)} runs/s), all completed after ${(completedMs / 1000).toFixed(1)} s; peak RSS API ${peak.api.toFixed(0)} MB, worker ${peak.worker.toFixed(0)} MB; after: API ${after.api.toFixed(0)} MB, worker ${after.worker.toFixed(0)} MB`,
  );
  console.log(`worker sticky cache: peak ${peak.cacheSeen ? peak.cache : 'not exported'} of limit ${limit} (${source})`);
  if (peak.cache > limit) console.warn(`  the worker's cache grew beyond its limit (${peak.cache} > ${limit})`);
  const n = `n=${PARKED}`;
  const rows: BenchRow[] = [
    { suite: SUITE, scenario: 'parked.start-rate', figure: (PARKED * 1000) / startedMs, unit: 'runs/s', note: `POST /runs, ${CONCURRENCY} in flight, ${n}` },
    { suite: SUITE, scenario: 'parked.park-rate', figure: (PARKED * 1000) / parkedMs, unit: 'runs/s', note: `first POST → last approval.requested, ${n}` },
    { suite: SUITE, scenario: 'parked.api-rss', figure: parkedRss.api, unit: 'MB', note: `all ${PARKED} parked` },
    { suite: SUITE, scenario: 'parked.worker-rss', figure: parkedRss.worker, unit: 'MB', note: `all ${PARKED} parked` },
    { suite: SUITE, scenario: 'parked.worker-rss-peak', figure: peak.worker, unit: 'MB', stat: 'max', note: 'start → all approved' },
    { suite: SUITE, scenario: 'parked.approve-all', figure: approvedMs / 1000, unit: 's', stat: 'total', note: `POST approvals, ${CONCURRENCY} in flight, ${n}` },
    { suite: SUITE, scenario: 'parked.approve-rate', figure: (PARKED * 1000) / approvedMs, unit: 'runs/s' },
    { suite: SUITE, scenario: 'parked.approve-5xx', figure: retried, unit: 'count', target: { op: '<=', value: 0 }, note: 'approvals answered 5xx (then retried)' },
    { suite: SUITE, scenario: 'parked.complete-rate', figure: (PARKED * 1000) / completedMs, unit: 'runs/s', note: 'first approval → last run.completed' },
    { suite: SUITE, scenario: 'parked.worker-rss-after', figure: after.worker, unit: 'MB', note: 'all completed' },
  ];
  if (peak.cacheSeen) {
    rows.push({ suite: SUITE, scenario: 'parked.sticky-cache-peak', figure: peak.cache, unit: 'count', stat: 'max', target: { op: '<=', value: limit }, note: `limit: ${source}` });
  }
  return rows;
}

interface ClientProc {
  proc: Proc;
  ready: Promise<{ opened: number; failed: number; error?: string }>;
  collect(): Promise<number[]>;
}

function startClients(url: string, count: number, index: number): ClientProc {
  const proc = startNode(`sse-clients-${index}`, 'bench/sseClientProcess.ts', { ...process.env, SSE_URL: url, SSE_TOKEN: ADMIN, SSE_COUNT: String(count) }, true);
  const waiting: Array<(samples: number[]) => void> = [];
  let onReady: (r: { opened: number; failed: number; error?: string }) => void;
  const ready = new Promise<{ opened: number; failed: number; error?: string }>((resolve, reject) => {
    onReady = resolve;
    proc.child.once('exit', (code) => reject(new Error(`${proc.name} exited ${code}\n${proc.output.join('')}`)));
  });
  proc.child.on('message', (m: { type: string; samples?: number[]; opened?: number; failed?: number; error?: string }) => {
    if (m.type === 'ready') onReady({ opened: m.opened!, failed: m.failed!, ...(m.error ? { error: m.error } : {}) });
    else if (m.type === 'samples') waiting.shift()?.(m.samples!);
  });
  return {
    proc,
    ready,
    collect: () =>
      new Promise<number[]>((resolve) => {
        waiting.push(resolve);
        proc.child.send({ type: 'collect' });
      }),
  };
}

async function sseSubscribers(stack: Stack): Promise<BenchRow[]> {
  const { runId } = (await stack.call('POST', '/api/v1/runs', ADMIN, { definition: GATED_RUN })) as { runId: string };
  await waitFor(
    'SSE run parked',
    async () => ((await stack.db.query('select 1 from run_events where stream_id = $1 and type = $2', [runId, 'approval.requested'])).length ? true : undefined),
    60_000,
  );
  const ports = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const portCount = ports[1]! - ports[0]! + 1;
  if (portCount < SUBSCRIBERS) console.warn(`  kernel limit: only ${portCount} ephemeral ports for ${SUBSCRIBERS} loopback connections`);
  const apiFds = openFilesLimit(stack.api);
  if (apiFds < SUBSCRIBERS + 200) console.warn(`  kernel limit: the API may open ${apiFds} files, fewer than ${SUBSCRIBERS} streams need`);
  const before = rssMb(stack.api);
  const perProcess = Math.ceil(SUBSCRIBERS / CLIENT_PROCESSES);
  const clients: ClientProc[] = [];
  for (let i = 0, left = SUBSCRIBERS; left > 0; i++, left -= perProcess) {
    clients.push(startClients(`${stack.apiUrl}/api/v1/runs/${runId}/events`, Math.min(perProcess, left), i));
  }
  const t0 = performance.now();
  const ready = await Promise.all(clients.map((c) => c.ready));
  const connectMs = performance.now() - t0;
  const opened = ready.reduce((n, r) => n + r.opened, 0);
  const failed = ready.reduce((n, r) => n + r.failed, 0);
  const clientFds = Math.min(...clients.map((c) => openFilesLimit(c.proc)));
  console.log(
    `${opened} SSE streams open in ${(connectMs / 1000).toFixed(1)} s from ${clients.length} client processes (fd limits: API ${apiFds}, clients ${clientFds})${failed ? `; ${failed} failed: ${ready.find((r) => r.error)?.error}` : ''}`,
  );
  await sleep(2000);
  const connected = rssMb(stack.api);

  const cpu0 = cpuMs(stack.api);
  for (let i = 0; i < PINGS; i++) {
    await stack.events.append(runId, [{ type: 'bench.ping', data: { sentAt: Date.now() }, dedupeKey: `${runId}/ping/${i}` }]);
    await sleep(PING_INTERVAL_MS);
  }
  const samples: number[] = [];
  const expected = PINGS * opened;
  const deadline = Date.now() + 30_000;
  for (;;) {
    for (const batch of await Promise.all(clients.map((c) => c.collect()))) for (const x of batch) samples.push(x);
    if (samples.length >= expected || Date.now() > deadline) break;
    await sleep(500);
  }
  // CPU over the ping window, less what an idle API with these streams spends in the same time (heartbeats, polls).
  const pingWindowMs = PINGS * PING_INTERVAL_MS;
  const cpuPings = cpuMs(stack.api) - cpu0;
  const cpuIdle0 = cpuMs(stack.api);
  await sleep(pingWindowMs);
  const cpuIdle = cpuMs(stack.api) - cpuIdle0;
  const peakRss = rssMb(stack.api);
  const s = summary(samples);
  if (samples.length < expected) console.warn(`  only ${samples.length} of ${expected} deliveries arrived`);
  console.log(
    `SSE delivery, ${opened} subscribers: p50 ${fmt(s.p50)}  p95 ${fmt(s.p95)}  max ${fmt(s.max)} (n=${s.n}); API RSS ${before.toFixed(0)} → ${connected.toFixed(0)} MB (${(((connected - before) * 1024) / Math.max(1, opened)).toFixed(1)} KiB per stream), API CPU ${((cpuPings - cpuIdle) / PINGS).toFixed(0)} ms per event, ${(cpuIdle / (pingWindowMs / 1000)).toFixed(0)} ms/s idle`,
  );
  for (const c of clients) c.proc.child.send({ type: 'close' });
  await Promise.all(clients.map((c) => stopProc(c.proc)));
  await stack.call('POST', `/api/v1/runs/${runId}/cancel`, ADMIN, {}).catch((err: unknown) => console.warn(`  cancel: ${(err as Error).message}`));
  const note = `${opened} streams, ${clients.length} client processes`;
  return [
    { suite: SUITE, scenario: 'sse.delivery', figure: s.p50, unit: 'ms', stat: 'p50', note },
    { suite: SUITE, scenario: 'sse.delivery', figure: s.p95, unit: 'ms', stat: 'p95', target: { op: '<', value: 50 }, note },
    { suite: SUITE, scenario: 'sse.deliveries-missing', figure: expected - samples.length, unit: 'count', target: { op: '<=', value: 0 } },
    { suite: SUITE, scenario: 'sse.connect-all', figure: connectMs / 1000, unit: 's', stat: 'total', note },
    { suite: SUITE, scenario: 'sse.api-rss', figure: connected, unit: 'MB', note },
    {
      suite: SUITE,
      scenario: 'sse.api-rss-per-stream',
      figure: ((connected - before) * 1024) / Math.max(1, opened),
      unit: 'KiB',
      note: `RSS ${before.toFixed(0)} MB before the streams`,
    },
    { suite: SUITE, scenario: 'sse.api-rss-peak', figure: peakRss, unit: 'MB', note: 'after the pings' },
    { suite: SUITE, scenario: 'sse.api-cpu-per-event', figure: (cpuPings - cpuIdle) / PINGS, unit: 'ms', note: `CPU to fan one event out to ${opened} streams` },
    { suite: SUITE, scenario: 'sse.api-cpu-idle', figure: cpuIdle / (pingWindowMs / 1000), unit: 'ms', note: `CPU ms per second with ${opened} quiet streams` },
  ];
}

let temporal: DevServer | undefined;
let postgres: RunningServer | undefined;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'copilot-scale-'));
  let stack: Stack | undefined;
  try {
    temporal = await startDevServer({ cliPath: findTemporalCli(), uiPort: false });
    postgres = await startPostgres();
    stack = await startStack(postgres.url, temporal.address, dataDir);
    console.log(`copilot scale bench — API pid ${stack.api.child.pid}, worker pid ${stack.worker.child.pid}, real Temporal dev server + Postgres\n`);
    const rows: BenchRow[] = [];
    if (SCENARIOS.has('idle')) rows.push(...(await idleRss(stack, postgres.url, temporal.address, dataDir)));
    if (SCENARIOS.has('parked') && PARKED > 0) rows.push(...(await parkedRuns(stack)));
    if (SCENARIOS.has('sse') && SUBSCRIBERS > 0) rows.push(...(await sseSubscribers(stack)));
    recordRows(rows);
  } catch (err) {
    for (const p of procs) if (p.output.length) console.error(`--- ${p.name} (last output) ---\n${p.output.slice(-20).join('')}`);
    throw err;
  } finally {
    for (const p of [...procs].reverse()) await stopProc(p);
    await stack?.db.close();
    await postgres?.stop();
    await temporal?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// Ctrl-C / SIGTERM: stop the children (API, worker, clients) too, not only this process.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    void Promise.allSettled([postgres?.stop(), temporal?.stop()]).then(() => process.exit(130));
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
