import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import pino from 'pino';
import { createActivities } from '../activities/createActivities';
import { createApp } from '../api/app';
import { createAuthenticator } from '../api/auth/authenticator';
import { startHttpServer } from '../api/httpServer';
import { createChatCore, createChatWorkerActivities, createSessionService } from '../chat/chatWiring';
import { startFakeAnthropic } from '../test/chat/support/fakeAnthropic';
import { sessionStreamId } from '../chat/model/types';
import { loadConfig } from '../config/env';
import { EventFanout } from '../db/eventFanout';
import { SqlEventStore } from '../db/eventStore';
import { openDatabase } from '../db/openDatabase';
import { findTemporalCli } from '../temporal/cliLocator';
import { startDevServer } from '../temporal/devServer';
import { RunClient } from '../temporal/runClient';
import { startPostgres, startPrometheus } from '../test/support/realServers';
import { createRunbookWorker } from '../workers/createWorker';
import { recordRows } from './report';
import { fmt, summary } from './stats';

/**
 * `npx tsx bench/chatBench.ts`: chat turn latency on the rules path (no API key), POST message →
 * `reply.completed` delivered by the event fanout (what an SSE client sees), p50/p95 over
 * BENCH_TURNS (40) turns, each a distinct metric question answered from a real Prometheus; then
 * the understanding engine alone, cache miss vs cache hit. Real Temporal dev server, Postgres,
 * Prometheus, worker and API in this process.
 */
const TOKEN = 'bench-chat-token-0000000001';
const SERVICES = ['prometheus', 'checkout', 'payments', 'auth', 'cart'];
const METRICS = ['p95 latency', 'cpu', 'memory', 'error rate', 'request rate', 'availability', 'p99 latency', 'throughput'];

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
  const n = Number(process.env.BENCH_TURNS ?? 40);
  const [temporal, postgres, prometheus] = await Promise.all([startDevServer({ cliPath: findTemporalCli(), uiPort: false }), startPostgres(), startPrometheus()]);
  const db = await openDatabase({ databaseUrl: postgres.url, dataDir: '/nonexistent' });
  const events = new SqlEventStore(db);
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', TASK_QUEUE: 'bench-chat', AUTH_TOKENS: `${TOKEN}=bench:operator`, PROMETHEUS_URL: prometheus.url });
  const catalogue = { get: () => undefined, names: () => [], list: () => [] };
  const core = await createChatCore(config, catalogue);
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const runs = new RunClient({ client, taskQueue: config.TASK_QUEUE });
  const native = await NativeConnection.connect({ address: temporal.address });
  const worker = await createRunbookWorker({
    connection: native,
    namespace: 'default',
    taskQueue: config.TASK_QUEUE,
    activities: {
      ...createActivities({ events, catalogue, config: { commandAllowlist: [], commandCwd: process.cwd(), runbookEnv: {}, stepLogMaxLines: 100 } }),
      ...createChatWorkerActivities(config, core, { events, catalogue, runs }),
    },
  });
  const running = worker.run();
  const fanout = new EventFanout(events, {});
  const app = createApp({
    config,
    runs,
    catalogue,
    fanout,
    authenticator: createAuthenticator(config),
    logger: pino({ level: 'silent' }),
    chat: { sessions: createSessionService(config, { client, events, fanout }), nlp: core.nlp },
    readiness: { temporal: async () => undefined, database: () => db.ping() },
  });
  const api = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const { sessionId } = (await (await fetch(`${api.url}/api/v1/sessions`, { method: 'POST', headers: { authorization: headers.authorization } })).json()) as { sessionId: string };

  const samples: number[] = [];
  for (let i = 0; i < n + 3; i++) {
    const content = `show me ${METRICS[i % METRICS.length]} for ${SERVICES[i % SERVICES.length]} over the last ${5 + i} minutes`;
    const t0 = performance.now();
    const res = await fetch(`${api.url}/api/v1/sessions/${sessionId}/messages`, { method: 'POST', headers, body: JSON.stringify({ content }) });
    const { turnId } = (await res.json()) as { turnId: string };
    await new Promise<void>((resolve) => {
      const sub = fanout.subscribe(sessionStreamId(sessionId), 0, (e) => {
        if (e.type !== 'reply.completed' || e.data.turnId !== turnId) return;
        queueMicrotask(() => sub.close());
        resolve();
      });
    });
    if (i >= 3) samples.push(performance.now() - t0); // the first turns warm the worker up
  }
  const turns = summary(samples);
  console.log(`chat turn, rules path, POST → reply.completed (n=${turns.n}): p50 ${fmt(turns.p50)}, p95 ${fmt(turns.p95)}, max ${fmt(turns.max)}`);
  recordRows([
    { suite: 'chat', scenario: 'turn-rules', figure: turns.p50, unit: 'ms', stat: 'p50', note: 'POST message → reply.completed at the fanout' },
    {
      suite: 'chat',
      scenario: 'turn-rules-p95',
      figure: turns.p95,
      unit: 'ms',
      stat: 'p95',
      target: { op: '<', value: 100 },
      note: 'understanding + transcript as local activities',
    },
  ]);

  const miss: number[] = [];
  const hit: number[] = [];
  for (let i = 0; i < 200; i++) {
    const text = `p95 latency for ${SERVICES[i % SERVICES.length]} in prod over the last ${i + 1} hours`;
    let t0 = performance.now();
    await core.nlp.parse(text);
    miss.push(performance.now() - t0);
    t0 = performance.now();
    await core.nlp.parse(text);
    hit.push(performance.now() - t0);
  }
  const m = summary(miss);
  const h = summary(hit);
  console.log(`understanding (rules + grounded translation) cache miss (n=${m.n}): p50 ${fmt(m.p50)}, p95 ${fmt(m.p95)}`);
  console.log(`understanding cache hit (n=${h.n}): p50 ${fmt(h.p50)}, p95 ${fmt(h.p95)}; cache ${JSON.stringify(core.cache.stats())}`);
  recordRows([
    { suite: 'chat', scenario: 'understand-rules-miss', figure: m.p95, unit: 'ms', stat: 'p95', note: 'rules + grounded translation' },
    { suite: 'chat', scenario: 'understand-cache-hit', figure: h.p95, unit: 'ms', stat: 'p95' },
  ]);

  // The LLM path against the local fake Messages API (real SDK, streamed tool use): what a hit saves.
  const claude = await startFakeAnthropic();
  claude.fallback = () => ({
    kind: 'tool_use',
    name: 'classify_request',
    input: {
      intent: 'MetricQuery',
      confidence: 0.9,
      entities: [
        { type: 'service', value: 'prometheus' },
        { type: 'metric', value: 'cpu' },
      ],
    },
  });
  const llmCore = await createChatCore(
    loadConfig({ ...process.env, LOG_LEVEL: 'silent', ANTHROPIC_API_KEY: claude.apiKey, ANTHROPIC_BASE_URL: claude.url, PROMETHEUS_URL: prometheus.url }),
    catalogue,
  );
  const llmMiss: number[] = [];
  const llmHit: number[] = [];
  for (let i = 0; i < 50; i++) {
    const text = `how busy is the prometheus cpu, sample ${i}`;
    let t0 = performance.now();
    await llmCore.nlp.parse(text);
    llmMiss.push(performance.now() - t0);
    t0 = performance.now();
    await llmCore.nlp.parse(text);
    llmHit.push(performance.now() - t0);
  }
  const lm = summary(llmMiss);
  const lh = summary(llmHit);
  console.log(
    `understanding via LLM (fake Messages API, real SDK) miss (n=${lm.n}): p50 ${fmt(lm.p50)}, p95 ${fmt(lm.p95)}; hit p50 ${fmt(lh.p50)}, p95 ${fmt(lh.p95)}; cache ${JSON.stringify(llmCore.cache.stats())}`,
  );
  recordRows([
    { suite: 'chat', scenario: 'understand-llm-miss', figure: lm.p95, unit: 'ms', stat: 'p95', note: 'fake Messages API, real SDK' },
    { suite: 'chat', scenario: 'understand-llm-hit', figure: lh.p95, unit: 'ms', stat: 'p95' },
  ]);
  await llmCore.close();
  await claude.close();

  await api.close(1000);
  for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) await client.workflow.getHandle(wf.workflowId).terminate('bench done');
  await fanout.close();
  worker.shutdown();
  await running;
  await native.close();
  await connection.close();
  await core.close();
  await db.close();
  await Promise.all([postgres.stop(), prometheus.stop(), temporal.stop()]);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
