import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '../domain/events';
import { RunbookDefinition } from '../domain/runbook';
import { runIdFor } from '../temporal/runClient';
import { startBenchEnvironment, TOKENS, type BenchEnvironment } from './benchEnvironment';
import { openSse } from './sseClients';
import { fmt, summary } from './stats';

/**
 * `npm run bench`: latency and throughput of the runbook engine on this machine, against a real
 * Temporal dev server and a real Postgres. Prints p50/p95 per scenario and a JSON line at the end.
 * Env: BENCH_RUNS (default 30), BENCH_SUBSCRIBERS (default 1000), BENCH_STEPS (default 200).
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const STEPS = Number(process.env.BENCH_STEPS ?? 200);

async function api(env: BenchEnvironment, method: string, path: string, token: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${env.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

function waitForEvent(env: BenchEnvironment, runId: string, match: (e: StoredEvent) => boolean): Promise<number> {
  return new Promise((resolve) => {
    const sub = env.fanout.subscribe(runId, 0, (event) => {
      if (match(event)) {
        resolve(performance.now());
        sub.close();
      }
    });
  });
}

const noopHttp = (env: BenchEnvironment) => ({ type: 'http', request: { method: 'GET', url: `${env.target.url}/noop` } });

async function runStartLatency(env: BenchEnvironment): Promise<number[]> {
  const samples: number[] = [];
  const definition = { name: 'bench-start', steps: [{ id: 'only', ...noopHttp(env) }] };
  for (let i = 0; i < RUNS; i++) {
    const key = randomUUID();
    const started = waitForEvent(env, runIdFor('bench-admin', key), (e) => e.type === 'run.started');
    const t0 = performance.now();
    await api(env, 'POST', '/api/v1/runs', TOKENS.admin, { definition, idempotencyKey: key });
    samples.push((await started) - t0);
  }
  return samples;
}

async function approvalLatency(env: BenchEnvironment): Promise<number[]> {
  const samples: number[] = [];
  const definition = {
    name: 'bench-gate',
    steps: [
      { id: 'gate', type: 'approval', approvers: { roles: ['approver'], count: 1 } },
      { id: 'next', needs: ['gate'], ...noopHttp(env) },
    ],
  };
  for (let i = 0; i < RUNS; i++) {
    const key = randomUUID();
    const runId = runIdFor('bench-admin', key);
    const requested = waitForEvent(env, runId, (e) => e.type === 'approval.requested');
    const nextStarted = waitForEvent(env, runId, (e) => e.type === 'step.started' && e.data.stepId === 'next');
    await api(env, 'POST', '/api/v1/runs', TOKENS.admin, { definition, idempotencyKey: key });
    await requested;
    const t0 = performance.now();
    await api(env, 'POST', `/api/v1/runs/${runId}/approvals/gate`, TOKENS.approver, { decision: 'approve' });
    samples.push((await nextStarted) - t0);
  }
  return samples;
}

async function throughput(env: BenchEnvironment): Promise<{ runbookStepsPerSec: number; bareStepsPerSec: number }> {
  const steps = Array.from({ length: STEPS }, (_, i) => ({ id: `s${i}`, ...(i ? { needs: [`s${i - 1}`] } : {}), ...noopHttp(env) }));
  const runbook = RunbookDefinition.parse({ name: 'bench-chain', steps });
  const runbookTimes: number[] = [];
  const bareTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    let t0 = performance.now();
    const { runId } = await env.runs.startRun({ runbook, params: {}, requestedBy: { sub: 'bench', roles: ['admin'] } });
    await env.client.workflow.getHandle(runId).result();
    runbookTimes.push(performance.now() - t0);
    t0 = performance.now();
    await env.client.workflow.execute('bareNoops', { taskQueue: 'bench-bare', workflowId: `bare-${randomUUID()}`, args: [STEPS] });
    bareTimes.push(performance.now() - t0);
  }
  const median = (xs: number[]) => summary(xs).p50;
  return { runbookStepsPerSec: STEPS / (median(runbookTimes) / 1000), bareStepsPerSec: STEPS / (median(bareTimes) / 1000) };
}

async function sseDelivery(env: BenchEnvironment): Promise<number[]> {
  const key = randomUUID();
  const runId = runIdFor('bench-admin', key);
  const definition = { name: 'bench-sse', steps: [{ id: 'gate', type: 'approval' }] };
  const requested = waitForEvent(env, runId, (e) => e.type === 'approval.requested');
  await api(env, 'POST', '/api/v1/runs', TOKENS.admin, { definition, idempotencyKey: key });
  await requested;
  const samples: number[] = [];
  const clients = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    clients.push(
      await openSse(`${env.apiUrl}/api/v1/runs/${runId}/events`, TOKENS.admin, (event) => {
        if (event.type !== 'bench.ping') return;
        samples.push(Date.now() - (JSON.parse(event.data) as { sentAt: number }).sentAt);
      }),
    );
  }
  await new Promise((r) => setTimeout(r, 1000));
  const PINGS = 20;
  for (let i = 0; i < PINGS; i++) {
    await env.events.append(runId, [{ type: 'bench.ping', data: { sentAt: Date.now() }, dedupeKey: `${runId}/ping/${i}` }]);
    await new Promise((r) => setTimeout(r, 100));
  }
  const deadline = Date.now() + 15_000;
  while (samples.length < PINGS * SUBSCRIBERS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const c of clients) c.close();
  if (samples.length < PINGS * SUBSCRIBERS) console.warn(`  only ${samples.length} of ${PINGS * SUBSCRIBERS} deliveries arrived`);
  await env.runs.cancel(runId);
  return samples;
}

async function main(): Promise<void> {
  const env = await startBenchEnvironment();
  console.log(`copilot bench — Temporal dev server, ${env.database}, ${RUNS} runs per latency scenario\n`);
  const results: Record<string, unknown> = { database: env.database };
  try {
    const start = summary(await runStartLatency(env));
    console.log(`run start (POST /runs → run.started)        p50 ${fmt(start.p50)}  p95 ${fmt(start.p95)}  (n=${start.n})`);
    const gate = summary(await approvalLatency(env));
    console.log(`approval decided → next step.started         p50 ${fmt(gate.p50)}  p95 ${fmt(gate.p95)}  (n=${gate.n})`);
    const tp = await throughput(env);
    console.log(
      `${STEPS}-step chain: runbook ${tp.runbookStepsPerSec.toFixed(1)} steps/s, bare Temporal ${tp.bareStepsPerSec.toFixed(1)} activities/s, ratio ${(tp.runbookStepsPerSec / tp.bareStepsPerSec).toFixed(2)}`,
    );
    const sse = summary(await sseDelivery(env));
    console.log(`SSE delivery, ${SUBSCRIBERS} subscribers          p50 ${fmt(sse.p50)}  p95 ${fmt(sse.p95)}  (n=${sse.n})`);
    Object.assign(results, { runStartMs: start, approvalToNextStepMs: gate, throughput: tp, sseDeliveryMs: { subscribers: SUBSCRIBERS, ...sse } });
    console.log(`\n${JSON.stringify(results)}`);
  } finally {
    await env.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
