import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import type { StoredEvent } from '../domain/events';
import { RunbookDefinition } from '../domain/runbook';
import { runIdFor } from '../temporal/runClient';
import { startBenchEnvironment, TOKENS, type BenchEnvironment } from './benchEnvironment';
import { recordRows } from './report';
import { openSse } from './sseClients';
import { fmt, summary } from './stats';

/**
 * `npm run bench`: latency and throughput of the runbook engine on this machine, against a real
 * Temporal dev server and a real Postgres. Prints p50/p95 per scenario and a JSON line at the end.
 * Env: BENCH_RUNS (default 60), BENCH_SUBSCRIBERS (default 1000), BENCH_STEPS (default 200),
 * BENCH_CONCURRENT_RUNS (default 500; runs of 10 steps started at once).
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 60);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const STEPS = Number(process.env.BENCH_STEPS ?? 200);
const CONCURRENT_RUNS = Number(process.env.BENCH_CONCURRENT_RUNS ?? 500);
const CONCURRENT_STEPS = 10;
const START_PARALLEL = 50;
/** Unmeasured iterations before each latency scenario: the first runs of a fresh process JIT-compile the API, worker and workflow code. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10);

async function api(env: BenchEnvironment, method: string, path: string, token: string, body?: unknown, baseUrl = env.apiUrl): Promise<Record<string, unknown>> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

function waitForEvent(env: BenchEnvironment, runId: string, match: (e: StoredEvent) => boolean, fanout = env.fanout): Promise<number> {
  return new Promise((resolve) => {
    const sub = fanout.subscribe(runId, 0, (event) => {
      if (match(event)) {
        resolve(performance.now());
        sub.close();
      }
    });
  });
}

const noopHttp = (env: BenchEnvironment) => ({ type: 'http', request: { method: 'GET', url: `${env.target.url}/noop` } });

/**
 * Each start on a quiet stack: the previous run has finished (`quiet`), the figure the target is
 * judged on, as a latency is. Then the same starts back to back (`overlapping`), each while the
 * run before it is still running its step and completing: on 2 cores that work (~40 ms of this
 * process's CPU per run, plus the dev server's and Postgres') is what the start waits behind.
 * The quiet starts alternate with eager workflow starts (`eager`) on a second API, side by side with
 * the ordinary start the API uses; they record POST → `run.started` and → the first `step.started`.
 */
async function runStartLatency(env: BenchEnvironment): Promise<number[]> {
  const definition = { name: 'bench-start', steps: [{ id: 'only', ...noopHttp(env) }] };
  const series = () => ({ seen: [] as number[], seenByNotify: [] as number[], answered: [] as number[], firstStep: [] as number[] });
  const once = async (into: ReturnType<typeof series> | undefined, quiet: boolean, baseUrl: string) => {
    const key = randomUUID();
    const runId = runIdFor('bench-admin', key);
    const started = waitForEvent(env, runId, (e) => e.type === 'run.started');
    const startedByNotify = waitForEvent(env, runId, (e) => e.type === 'run.started', env.notifyFanout);
    const stepStarted = waitForEvent(env, runId, (e) => e.type === 'step.started');
    const finished = waitForEvent(env, runId, (e) => e.type === 'run.completed');
    const t0 = performance.now();
    await api(env, 'POST', '/api/v1/runs', TOKENS.admin, { definition, idempotencyKey: key }, baseUrl);
    into?.answered.push(performance.now() - t0);
    into?.seen.push((await started) - t0);
    into?.seenByNotify.push((await startedByNotify) - t0);
    if (!quiet) return;
    into?.firstStep.push((await stepStarted) - t0);
    await finished;
  };
  // Ordinary and eager starts alternate, so both see the same machine.
  const ordinary = series();
  const eager = series();
  for (let i = -WARMUP; i < RUNS; i++) {
    await once(i >= 0 ? ordinary : undefined, true, env.apiUrl);
    await once(i >= 0 ? eager : undefined, true, env.eagerApiUrl);
  }
  const overlapping = series();
  for (let i = -WARMUP; i < RUNS; i++) await once(i >= 0 ? overlapping : undefined, false, env.apiUrl);
  const [quiet, eagerSeen, overlap] = [summary(ordinary.seen), summary(eager.seen), summary(overlapping.seen)];
  recordRows([
    { suite: 'core', scenario: 'run-start', figure: quiet.p50, unit: 'ms', stat: 'p50', note: 'POST /runs → run.started at the fanout; previous run finished' },
    { suite: 'core', scenario: 'run-start-p95', figure: quiet.p95, unit: 'ms', stat: 'p95', target: { op: '<', value: 25 }, note: 'ordinary start (the API), quiet stack' },
    {
      suite: 'core',
      scenario: 'run-start-notify-p95',
      figure: summary(ordinary.seenByNotify).p95,
      unit: 'ms',
      stat: 'p95',
      note: 'the same run.started, seen as an API replica in another process sees it: by NOTIFY and a read',
    },
    { suite: 'core', scenario: 'run-start-answered', figure: summary(ordinary.answered).p95, unit: 'ms', stat: 'p95', note: 'POST /runs answered (202), quiet stack' },
    {
      suite: 'core',
      scenario: 'run-start-first-step-p95',
      figure: summary(ordinary.firstStep).p95,
      unit: 'ms',
      stat: 'p95',
      note: 'POST /runs → the first step.started, quiet stack',
    },
    {
      suite: 'core',
      scenario: 'run-start-eager-p95',
      figure: eagerSeen.p95,
      unit: 'ms',
      stat: 'p95',
      note: 'eager workflow start (worker in this process), alternating with the ordinary',
    },
    {
      suite: 'core',
      scenario: 'run-start-eager-first-step-p95',
      figure: summary(eager.firstStep).p95,
      unit: 'ms',
      stat: 'p95',
      note: 'eager start: POST /runs → the first step.started',
    },
    { suite: 'core', scenario: 'run-start-overlapping', figure: overlap.p50, unit: 'ms', stat: 'p50', note: 'back to back: the previous run still running' },
    { suite: 'core', scenario: 'run-start-overlapping-p95', figure: overlap.p95, unit: 'ms', stat: 'p95', note: 'back to back: the previous run still running' },
  ]);
  return ordinary.seen;
}

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const eventMs = (e: HistoryEvent | undefined): number => (e?.eventTime ? Number(e.eventTime.seconds) * 1000 + (e.eventTime.nanos ?? 0) / 1e6 : Number.NaN);

/**
 * Where an approval's time goes, from the server's own history timestamps (this machine's clock, as
 * is `postedAt`): POST → the update's workflow task scheduled; that task in the worker (the update
 * handler, then completing with the next step, which takes `approval.decided` and the gate's
 * `step.succeeded` along: workflows/README.md `approval-decided-with-next-step`);
 * its completion → the next step's activity started; that start → `step.started` at the fanout.
 */
function approvalPhases(events: HistoryEvent[], postedAt: number, seenAt: number): Record<'toTask' | 'task' | 'toActivity' | 'toSeen', number> | undefined {
  const accepted = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED && eventMs(e) >= postedAt - 1);
  if (accepted < 0) return undefined;
  const last = (type: temporal.api.enums.v1.EventType) =>
    events
      .slice(0, accepted)
      .reverse()
      .find((e) => e.eventType === type);
  const scheduled = eventMs(last(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED));
  const started = eventMs(last(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED));
  const completed = eventMs(last(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED));
  const activity = eventMs(events.slice(accepted).find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED));
  const phases = { toTask: scheduled - postedAt, task: completed - started, toActivity: activity - completed, toSeen: seenAt - activity };
  return Object.values(phases).every(Number.isFinite) ? phases : undefined;
}

/** Until the run's workflow task has completed: the run is parked at its gate, as an approver finds it. */
async function parked(env: BenchEnvironment, runId: string): Promise<void> {
  const handle = env.client.workflow.getHandle(runId);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { raw } = await handle.describe();
    if (!raw.pendingWorkflowTask) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`run ${runId} still has a pending workflow task after 10 s`);
}

/**
 * POST approval → the next step's `step.started`, twice per iteration, alternating: `parked`, the
 * gate approved once the run's workflow task has completed (a person or a Slack click is never
 * faster), the figure the target is judged on; and `immediate`, approved the moment
 * `approval.requested` reaches the fanout, while the task that stored it is still completing.
 */
async function approvalLatency(env: BenchEnvironment): Promise<number[]> {
  const series = () => ({
    seen: [] as number[],
    byNotify: [] as number[],
    phases: { toTask: [] as number[], task: [] as number[], toActivity: [] as number[], toSeen: [] as number[] },
  });
  const definition = {
    name: 'bench-gate',
    steps: [
      { id: 'gate', type: 'approval', approvers: { roles: ['approver'], count: 1 } },
      { id: 'next', needs: ['gate'], ...noopHttp(env) },
    ],
  };
  const once = async (into: ReturnType<typeof series> | undefined, waitParked: boolean) => {
    const key = randomUUID();
    const runId = runIdFor('bench-admin', key);
    const requested = waitForEvent(env, runId, (e) => e.type === 'approval.requested');
    const isNext = (e: StoredEvent) => e.type === 'step.started' && e.data.stepId === 'next';
    const nextStarted = waitForEvent(env, runId, isNext);
    const nextByNotify = waitForEvent(env, runId, isNext, env.notifyFanout);
    const finished = waitForEvent(env, runId, (e) => e.type === 'run.completed');
    await api(env, 'POST', '/api/v1/runs', TOKENS.admin, { definition, idempotencyKey: key });
    await requested;
    if (waitParked) await parked(env, runId);
    const t0 = performance.now();
    const wallT0 = Date.now();
    await api(env, 'POST', `/api/v1/runs/${runId}/approvals/gate`, TOKENS.approver, { decision: 'approve' });
    const seenAt = await nextStarted;
    const byNotifyAt = await nextByNotify;
    // As for run start: the next sample starts on a quiet stack, not behind this run's completion.
    await finished;
    if (!into) return;
    into.seen.push(seenAt - t0);
    into.byNotify.push(byNotifyAt - t0);
    const history = (await env.client.workflow.getHandle(runId).fetchHistory()).events ?? [];
    const split = approvalPhases(history, wallT0, wallT0 + (seenAt - t0));
    if (split) for (const [k, v] of Object.entries(split)) into.phases[k as keyof typeof split].push(v);
  };
  const atGate = series();
  const immediate = series();
  for (let i = -WARMUP; i < RUNS; i++) {
    await once(i >= 0 ? atGate : undefined, true);
    await once(i >= 0 ? immediate : undefined, false);
  }
  const phaseRow = (key: keyof ReturnType<typeof series>['phases'], scenario: string, note: string) =>
    ({ suite: 'core', scenario, figure: summary(atGate.phases[key]).p50, unit: 'ms', stat: 'p50', note }) as const;
  const next = summary(atGate.seen);
  recordRows([
    { suite: 'core', scenario: 'approval-next-step', figure: next.p50, unit: 'ms', stat: 'p50', note: 'POST approval at a parked gate → next step.started at the fanout' },
    {
      suite: 'core',
      scenario: 'approval-next-step-p95',
      figure: next.p95,
      unit: 'ms',
      stat: 'p95',
      target: { op: '<', value: 40 },
      note: 'parked gate; the worker shares the API process (dev mode): its step.started reaches the fanout from the append',
    },
    {
      suite: 'core',
      scenario: 'approval-next-step-notify-p95',
      figure: summary(atGate.byNotify).p95,
      unit: 'ms',
      stat: 'p95',
      note: 'the same, seen as an API in another process sees it: by NOTIFY and a read',
    },
    {
      suite: 'core',
      scenario: 'approval-next-step-immediate-p95',
      figure: summary(immediate.seen).p95,
      unit: 'ms',
      stat: 'p95',
      note: 'approved the moment approval.requested is seen, its workflow task still completing (how this row was measured before 2026-12-07)',
    },
    phaseRow('toTask', 'approval-phase-api-to-task', 'parked gate: POST → the update’s workflow task scheduled (auth, audit row, update RPC)'),
    phaseRow('task', 'approval-phase-update-task', 'that workflow task in the worker: update handler, completion with the next step (which stores the decision)'),
    phaseRow('toActivity', 'approval-phase-task-to-activity', 'task completed → the next step’s activity started (eager dispatch)'),
    phaseRow('toSeen', 'approval-phase-activity-to-seen', 'activity started → its step.started at the fanout (one append with the decision, beside the http call)'),
  ]);
  return atGate.seen;
}

/**
 * A chain of `count` no-op http steps. `short`: a 5 s timeout, so they are short steps and run as
 * local activities by default (domain/stepExecution.ts); otherwise `execution: remote`, the activity
 * tasks every step used to be.
 */
function noopChain(env: BenchEnvironment, name: string, count: number, short: boolean) {
  const placement = short ? { timeout: '5s' } : { execution: 'remote' };
  const steps = Array.from({ length: count }, (_, i) => ({ id: `s${i}`, ...(i ? { needs: [`s${i - 1}`] } : {}), ...noopHttp(env), ...placement }));
  return RunbookDefinition.parse({ name, steps });
}

const median = (xs: number[]) => summary(xs).p50;
const BENCH_PRINCIPAL = { sub: 'bench', roles: ['admin' as const] };

interface Throughput {
  remoteStepsPerSec: number;
  localStepsPerSec: number;
  bareStepsPerSec: number;
  bareLocalStepsPerSec: number;
}

/**
 * The STEPS-step chain as activity tasks and as local activities, next to bareWorkflow.ts doing STEPS
 * no-op activities (the ratio's baseline) and STEPS no-op local activities (the floor a chain of
 * local steps can approach: no events, no request), interleaved, median of 3.
 */
async function throughput(env: BenchEnvironment): Promise<Throughput> {
  const remote = noopChain(env, 'bench-chain', STEPS, false);
  const local = noopChain(env, 'bench-chain-local', STEPS, true);
  const times: Record<keyof Throughput, number[]> = { remoteStepsPerSec: [], localStepsPerSec: [], bareStepsPerSec: [], bareLocalStepsPerSec: [] };
  const bareRun = (workflow: 'bareNoops' | 'bareLocalNoops') =>
    env.client.workflow.execute(workflow, { taskQueue: 'bench-bare', workflowId: `bare-${randomUUID()}`, args: [STEPS] });
  const timed = async (into: number[], work: () => Promise<unknown>) => {
    const t0 = performance.now();
    await work();
    into.push(performance.now() - t0);
  };
  const runOf = async (runbook: typeof remote) => {
    const { runId } = await env.runs.startRun({ runbook, params: {}, requestedBy: BENCH_PRINCIPAL });
    await env.client.workflow.getHandle(runId).result();
  };
  for (let i = 0; i < 3; i++) {
    await timed(times.remoteStepsPerSec, () => runOf(remote));
    await timed(times.localStepsPerSec, () => runOf(local));
    await timed(times.bareStepsPerSec, () => bareRun('bareNoops'));
    await timed(times.bareLocalStepsPerSec, () => bareRun('bareLocalNoops'));
  }
  const rate = (xs: number[]) => STEPS / (median(xs) / 1000);
  const result = {
    remoteStepsPerSec: rate(times.remoteStepsPerSec),
    localStepsPerSec: rate(times.localStepsPerSec),
    bareStepsPerSec: rate(times.bareStepsPerSec),
    bareLocalStepsPerSec: rate(times.bareLocalStepsPerSec),
  };
  const bare = result.bareStepsPerSec;
  recordRows([
    {
      suite: 'core',
      scenario: `chain-${STEPS}-http-local`,
      figure: result.localStepsPerSec,
      unit: 'steps/s',
      stat: 'p50',
      target: { op: '>=', value: 5 * bare },
      bareRatio: result.localStepsPerSec / bare,
      note: 'short http steps (local activities); target 5× bare',
    },
    {
      suite: 'core',
      scenario: `chain-${STEPS}-http-remote`,
      figure: result.remoteStepsPerSec,
      unit: 'steps/s',
      stat: 'p50',
      bareRatio: result.remoteStepsPerSec / bare,
      note: 'execution: remote (activity tasks)',
    },
    { suite: 'core', scenario: `chain-${STEPS}-bare`, figure: bare, unit: 'steps/s', stat: 'p50', note: 'bare Temporal: sequential no-op activities' },
    {
      suite: 'core',
      scenario: `chain-${STEPS}-bare-local`,
      figure: result.bareLocalStepsPerSec,
      unit: 'steps/s',
      stat: 'p50',
      bareRatio: result.bareLocalStepsPerSec / bare,
      note: 'bare Temporal: sequential no-op local activities, the floor for local steps',
    },
  ]);
  return result;
}

interface Concurrency {
  runs: number;
  stepsPerRun: number;
  localStepsPerSec: number;
  remoteStepsPerSec: number;
  bareStepsPerSec: number;
}

/**
 * CONCURRENT_RUNS runs of CONCURRENT_STEPS no-op http steps, all in flight together, next to as many bare
 * workflows of as many no-op activities on the same server: total steps/s from the first start to
 * the last result. Once with short steps (local by default), once with `execution: remote`.
 */
async function concurrentRuns(env: BenchEnvironment): Promise<Concurrency> {
  const all = async (start: () => Promise<string>): Promise<number> => {
    const t0 = performance.now();
    // Started START_PARALLEL at a time (all CONCURRENT_RUNS are in flight together anyway): 500
    // simultaneous start calls time out on a busy dev server, for bare workflows as for runs.
    const ids: string[] = [];
    const starter = async () => {
      while (ids.length < CONCURRENT_RUNS) {
        ids.push('');
        const slot = ids.length - 1;
        ids[slot] = await start();
      }
    };
    await Promise.all(Array.from({ length: Math.min(START_PARALLEL, CONCURRENT_RUNS) }, starter));
    await Promise.all(ids.map((id) => env.client.workflow.getHandle(id).result()));
    return (CONCURRENT_RUNS * CONCURRENT_STEPS) / ((performance.now() - t0) / 1000);
  };
  const runs = (runbook: ReturnType<typeof noopChain>) => all(async () => (await env.runs.startRun({ runbook, params: {}, requestedBy: BENCH_PRINCIPAL })).runId);
  const passes = {
    bare: () =>
      all(async () => (await env.client.workflow.start('bareNoops', { taskQueue: 'bench-bare', workflowId: `bare-${randomUUID()}`, args: [CONCURRENT_STEPS] })).workflowId),
    local: () => runs(noopChain(env, 'bench-concurrent-local', CONCURRENT_STEPS, true)),
    remote: () => runs(noopChain(env, 'bench-concurrent-remote', CONCURRENT_STEPS, false)),
  };
  // Two passes each in mirrored order (bare, local, remote, remote, local, bare), averaged: the dev
  // server slows as its history store fills, so one pass each in a fixed order favoured whichever ran first.
  const rates: Record<keyof typeof passes, number[]> = { bare: [], local: [], remote: [] };
  const order: (keyof typeof passes)[] = ['bare', 'local', 'remote'];
  for (const kind of [...order, ...[...order].reverse()]) rates[kind].push(await passes[kind]());
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const bareStepsPerSec = mean(rates.bare);
  const localStepsPerSec = mean(rates.local);
  const remoteStepsPerSec = mean(rates.remote);
  const each = (kind: keyof typeof passes) => `passes ${rates[kind].map((r) => r.toFixed(0)).join(' and ')} steps/s`;
  const scenario = `concurrent-${CONCURRENT_RUNS}x${CONCURRENT_STEPS}`;
  recordRows([
    {
      suite: 'core',
      scenario: `${scenario}-http-local`,
      figure: localStepsPerSec,
      unit: 'steps/s',
      stat: 'total',
      target: { op: '>=', value: 0.9 * bareStepsPerSec },
      bareRatio: localStepsPerSec / bareStepsPerSec,
      note: `short http steps; target 0.9× bare; ${each('local')}`,
    },
    {
      suite: 'core',
      scenario: `${scenario}-http-remote`,
      figure: remoteStepsPerSec,
      unit: 'steps/s',
      stat: 'total',
      bareRatio: remoteStepsPerSec / bareStepsPerSec,
      note: `execution: remote; ${each('remote')}`,
    },
    {
      suite: 'core',
      scenario: `${scenario}-bare`,
      figure: bareStepsPerSec,
      unit: 'steps/s',
      stat: 'total',
      note: `bare Temporal workflows of no-op activities; ${each('bare')}`,
    },
  ]);
  return { runs: CONCURRENT_RUNS, stepsPerRun: CONCURRENT_STEPS, localStepsPerSec, remoteStepsPerSec, bareStepsPerSec };
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
    console.log(`run start (POST /runs → run.started, quiet) p50 ${fmt(start.p50)}  p95 ${fmt(start.p95)}  (n=${start.n})`);
    const gate = summary(await approvalLatency(env));
    console.log(`approval at a parked gate → next step.started p50 ${fmt(gate.p50)}  p95 ${fmt(gate.p95)}  (n=${gate.n})`);
    const tp = await throughput(env);
    const ratio = (x: number, bare: number) => (x / bare).toFixed(2);
    console.log(
      `${STEPS}-step chain: local steps ${tp.localStepsPerSec.toFixed(1)} steps/s (×${ratio(tp.localStepsPerSec, tp.bareStepsPerSec)}), remote steps ${tp.remoteStepsPerSec.toFixed(1)} (×${ratio(tp.remoteStepsPerSec, tp.bareStepsPerSec)}), bare Temporal ${tp.bareStepsPerSec.toFixed(1)} activities/s, ${tp.bareLocalStepsPerSec.toFixed(1)} local activities/s`,
    );
    const cc = await concurrentRuns(env);
    console.log(
      `${cc.runs} concurrent runs × ${cc.stepsPerRun} steps: local ${cc.localStepsPerSec.toFixed(1)} steps/s (×${ratio(cc.localStepsPerSec, cc.bareStepsPerSec)}), remote ${cc.remoteStepsPerSec.toFixed(1)} (×${ratio(cc.remoteStepsPerSec, cc.bareStepsPerSec)}), bare Temporal ${cc.bareStepsPerSec.toFixed(1)} activities/s`,
    );
    const sse = summary(await sseDelivery(env));
    console.log(`SSE delivery, ${SUBSCRIBERS} subscribers          p50 ${fmt(sse.p50)}  p95 ${fmt(sse.p95)}  (n=${sse.n})`);
    Object.assign(results, { runStartMs: start, approvalToNextStepMs: gate, throughput: tp, concurrency: cc, sseDeliveryMs: { subscribers: SUBSCRIBERS, ...sse } });
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
