import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { BackendError } from '../../adapters/backendError';
import { HttpBackend } from '../../adapters/httpBackend';
import { RunbookDefinition } from '../../domain/runbook';
import { jsonBytes, RUN_RESULT_MAX_BYTES, STEP_OUTPUT_MAX_BYTES } from '../../domain/outputBudget';
import type { RunState } from '../../domain/runState';
import { createWorkflowHarness, resultOf, type WorkflowHarness } from '../support/workflowHarness';

/**
 * Steps whose outputs are too big for Temporal (a payload over 2 MB fails the workflow task, which
 * retries without end). Before domain/outputBudget.ts each of these wedged its run: a local http step
 * was re-sent on every retry of the task, and the run never finished.
 */
let h: WorkflowHarness;
let server: http.Server;
let url = '';
const hits = new Map<string, number>();
/** Bytes the endless endpoint wrote before its client went away, and whether it did. */
const endless = { written: 0, closed: false };
const finished: WorkflowHandle[] = [];

const megabytesOfJson = (mb: number) => {
  const chunk = JSON.stringify('x'.repeat(1024 * 1024 - 10));
  return `[${Array.from({ length: mb }, () => chunk).join(',')}]`;
};

const get = (id: string, path: string, extra: Record<string, unknown> = {}) => ({ id, type: 'http' as const, request: { method: 'GET' as const, url: `${url}${path}` }, ...extra });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits.set(req.url!, (hits.get(req.url!) ?? 0) + 1);
    const path = req.url!.split('?')[0]!;
    if (path === '/prom/api/v1/query') {
      // A Prometheus answering 20 MB: a query over far too many series.
      const series = JSON.stringify({ metric: { __name__: 'up', pod: 'p'.repeat(1000) }, value: [0, '1'] });
      const result = Array.from({ length: 20_000 }, () => series).join(',');
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{"status":"success","data":{"resultType":"vector","result":[${result}]}}`);
      return;
    }
    if (path === '/endless') {
      // Never ends: a download the step must stop reading.
      res.writeHead(200, { 'content-type': 'text/plain' });
      const block = 'y'.repeat(64 * 1024);
      const pump = () => {
        while (!res.destroyed && res.write(block)) endless.written += block.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      res.on('close', () => (endless.closed = true));
      pump();
      return;
    }
    const kb = Number(/^\/kb\/(\d+)/.exec(path)?.[1] ?? 0);
    const body = path.startsWith('/mb/') ? megabytesOfJson(Number(path.slice(4))) : JSON.stringify({ ok: true, blob: 'z'.repeat(kb * 1024) });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A child runbook whose four steps answer 200 KB each: 800 KB of outputs for its parent's step.
  const bigChild = RunbookDefinition.parse({ name: 'big-child', steps: Array.from({ length: 4 }, (_, i) => get(`c${i}`, `/kb/200?child=${i}`)) });
  h = await createWorkflowHarness({
    config: { commandAllowlist: [process.execPath], prometheusUrl: `${url}/prom` },
    catalogue: { get: (name) => (name === bigChild.name ? bigChild : undefined) },
  });
});
afterAll(async () => {
  await h?.close();
  await new Promise((resolve) => server?.close(resolve));
});

/** The run's result, or a failure naming what it is stuck on after `ms`: a wedged run never settles. */
async function settle(handle: WorkflowHandle, ms = 30_000): Promise<RunState> {
  finished.push(handle);
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => void handle.describe().then((d) => reject(new Error(`run still ${d.status.name} after ${ms} ms (historyLength ${d.historyLength})`))), ms);
  });
  try {
    return await Promise.race([resultOf(handle), stuck]);
  } finally {
    clearTimeout(timer);
  }
}

describe.each(['local', 'remote'] as const)('a 3 MB JSON answer to an http step (%s)', (execution) => {
  test('the step succeeds once, its body cut and flagged, and the run completes', async () => {
    const path = `/mb/3?${execution}`;
    const handle = await h.start({ name: `big-body-${execution}`, steps: [get('fetch', path, { execution, timeout: '5s' })] });
    const state = await settle(handle);
    expect(state.status).toBe('succeeded');
    const output = state.steps[0]!.output as { status: number; body: string; bodyTruncated?: boolean; bodyBytes?: number };
    expect(output).toMatchObject({ status: 200, bodyTruncated: true, bodyBytes: Buffer.byteLength(megabytesOfJson(3)) });
    expect(output.body.startsWith('["xxx')).toBe(true);
    expect(output.body.endsWith('…[truncated]')).toBe(true);
    expect(jsonBytes(output)).toBeLessThanOrEqual(STEP_OUTPUT_MAX_BYTES);
    // Sent once: not again on every retry of a failing workflow task.
    expect(hits.get(path)).toBe(1);
    const events = await h.eventsOf(handle.workflowId);
    expect(events.map((e) => e.type)).toEqual(['run.started', 'step.started', 'step.succeeded', 'run.completed']);
  });
});

test('an endless body is not downloaded: the step stops reading at its budget and closes the connection', async () => {
  const handle = await h.start({ name: 'endless-body', steps: [get('fetch', '/endless', { timeout: '5s' })] });
  const state = await settle(handle);
  expect(state.status).toBe('succeeded');
  expect(state.steps[0]!.output).toMatchObject({ status: 200, bodyTruncated: true });
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(endless.closed).toBe(true);
  // What the server got out before the socket closed: the budget plus socket buffers, not gigabytes.
  expect(endless.written).toBeLessThan(16 * 1024 * 1024);
});

test('twelve 200 KB outputs: the run completes, its result fits a payload, later steps still read every output', async () => {
  const steps = Array.from({ length: 12 }, (_, i) => get(`s${i}`, `/kb/200?${i}`, i ? { needs: [`s${i - 1}`] } : {}));
  // Remote, with an assertion over the first step: its activity input carries only the step it reads,
  // not the 2.4 MB of all eleven before it (that input alone used to wedge the run).
  const check = get('check', '/kb/1', {
    needs: ['s11'],
    execution: 'remote',
    assert: 'steps.s0.output.body.ok && size(steps.s0.output.body.blob) == 204800 && output.status == 200',
  });
  const echo = get('echo', '/kb/1?from=${{ steps.s3.output.status }}-${{ size(steps.s11.output.body.blob) }}', { needs: ['check'] });
  const handle = await h.start({ name: 'many-big-outputs', steps: [...steps, check, echo] });
  const state = await settle(handle);
  expect(state.status).toBe('succeeded');
  expect(jsonBytes(state)).toBeLessThanOrEqual(RUN_RESULT_MAX_BYTES);
  // The largest outputs gave way in the result, the small ones are whole.
  const cut = state.steps.filter((s) => (s.output as { truncated?: boolean }).truncated);
  expect(cut.length).toBeGreaterThanOrEqual(7);
  expect(cut[0]!.output).toMatchObject({ truncated: true, bytes: expect.any(Number), preview: expect.stringContaining('"status":200') });
  expect(state.steps.find((s) => s.id === 'check')!.output).toMatchObject({ status: 200, body: { ok: true } });
  // The templates read the full outputs the workflow keeps, cut in the result or not.
  expect(hits.get('/kb/1')).toBe(1);
  expect(hits.get('/kb/1?from=200-204800')).toBe(1);
  const history = await handle.fetchHistory();
  const inputs = history.events!.flatMap((e) => e.activityTaskScheduledEventAttributes?.input?.payloads ?? []).map((p) => Buffer.from(p.data!).toString());
  const inputBytes = Buffer.byteLength(inputs.find((i) => i.includes('"stepId":"check"'))!);
  expect(inputBytes).toBeGreaterThan(200 * 1024);
  expect(inputBytes).toBeLessThan(300 * 1024);
  // The state query answers within the budget too.
  expect(jsonBytes(await handle.query<RunState>('state'))).toBeLessThanOrEqual(RUN_RESULT_MAX_BYTES);
});

test('a foreach over twelve 200 KB answers: its output is cut to one step budget and the run completes', async () => {
  const handle = await h.start({
    name: 'foreach-big-outputs',
    steps: [
      {
        id: 'each',
        type: 'foreach',
        items: Array.from({ length: 12 }, (_, i) => i),
        concurrency: 4,
        step: { type: 'http', request: { method: 'GET', url: `${url}/kb/200?item=\${{ item }}` } },
      },
    ],
  });
  const state = await settle(handle);
  expect(state.status).toBe('succeeded');
  const items = state.steps[0]!.output as unknown[];
  expect(items).toHaveLength(12);
  expect(jsonBytes(items)).toBeLessThanOrEqual(STEP_OUTPUT_MAX_BYTES);
  expect(items.filter((i) => (i as { truncated?: boolean }).truncated).length).toBeGreaterThanOrEqual(11);
});

test('a child runbook step with 800 KB of outputs: the parent keeps its status and every step id within one step budget', async () => {
  const handle = await h.start({ name: 'big-parent', steps: [{ id: 'child', type: 'runbook', runbook: 'big-child' }] });
  const state = await settle(handle);
  expect(state.status).toBe('succeeded');
  const output = state.steps[0]!.output as { runId: string; status: string; steps: Record<string, { status: string; output: unknown }> };
  expect(output.status).toBe('succeeded');
  expect(Object.keys(output.steps)).toEqual(['c0', 'c1', 'c2', 'c3']);
  expect(Object.values(output.steps).every((s) => s.status === 'succeeded')).toBe(true);
  expect(jsonBytes(output)).toBeLessThanOrEqual(STEP_OUTPUT_MAX_BYTES + 1024);
  expect(Object.values(output.steps).filter((s) => (s.output as { truncated?: boolean }).truncated).length).toBeGreaterThanOrEqual(3);
  finished.push(h.client.workflow.getHandle(output.runId));
});

test('a command printing one 3 MB line and 2 000 long lines: its log is stored in lines and events within their caps', async () => {
  const script =
    'process.stdout.write("a".repeat(3e6) + "\\n"); for (let i = 0; i < 2000; i++) process.stdout.write("b".repeat(5000) + "\\n"); process.stdout.write("last line, no newline")';
  const handle = await h.start({ name: 'loud-command', steps: [{ id: 'loud', type: 'command', command: [process.execPath, '-e', script] }] });
  const state = await settle(handle);
  expect(state.status).toBe('succeeded');
  const events = await h.eventsOf(handle.workflowId);
  const logs = events.filter((e) => e.type === 'step.log');
  const lines = logs.flatMap((e) => e.data.lines as { line: string }[]).map((l) => l.line);
  // The harness keeps 1 000 lines (stepLogMaxLines), then marks the rest.
  expect(lines).toHaveLength(1001);
  expect(lines[0]!.startsWith('aaaa')).toBe(true);
  expect(lines[0]!.endsWith('…[line truncated]')).toBe(true);
  expect(lines[0]!.length).toBeLessThan(5000);
  expect(lines[1]!.endsWith('…[line truncated]')).toBe(true);
  expect(lines.at(-1)).toBe('[log truncated]');
  for (const e of logs) expect(jsonBytes(e.data)).toBeLessThan(128 * 1024);
  expect(logs.some((e) => (e.data as { truncated?: boolean }).truncated)).toBe(false);
});

test('a command whose last line has no newline: the line is in its log', async () => {
  const handle = await h.start({
    name: 'no-newline',
    steps: [{ id: 'say', type: 'command', command: [process.execPath, '-e', 'process.stdout.write("one\\ntwo")'] }],
  });
  expect((await settle(handle)).status).toBe('succeeded');
  const lines = (await h.eventsOf(handle.workflowId)).filter((e) => e.type === 'step.log').flatMap((e) => (e.data.lines as { line: string }[]).map((l) => l.line));
  expect(lines).toEqual(['one', 'two']);
});

test('a query step whose answer is over 16 MiB fails at once, saying to narrow the query', async () => {
  const handle = await h.start({
    name: 'huge-query',
    steps: [{ id: 'q', type: 'query', query: 'up', retry: { maxAttempts: 3, initialInterval: '100ms', backoffCoefficient: 1 } }],
  });
  finished.push(handle);
  await expect(handle.result()).rejects.toThrow();
  const state = await handle.query<RunState>('state');
  expect(state.steps[0]).toMatchObject({ status: 'failed', attempts: 1, error: expect.stringMatching(/more than 16 MiB for `up`; narrow the query/) });
  expect(hits.get('/prom/api/v1/query')).toBe(1);
});

test('a backend client (Loki, Tempo, Prometheus) refuses an answer over 16 MiB as a permanent error, without retrying', async () => {
  const backend = new HttpBackend({ name: 'loki', url, maxAttempts: 3 }, (answer) => answer.text);
  const failure = await backend.get('/mb/20', {}, '{app="x"}').then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(failure).toBeInstanceOf(BackendError);
  expect(failure).toMatchObject({ kind: 'invalid', transient: false, message: expect.stringContaining('answer larger than 16 MiB') });
  expect(hits.get('/mb/20')).toBe(1);
});

test('every run above replays deterministically from its history', async () => {
  expect(finished.length).toBeGreaterThanOrEqual(6);
  for (const handle of finished) {
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, await handle.fetchHistory(), handle.workflowId);
  }
});
