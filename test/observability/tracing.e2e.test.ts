import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN, startProductionStack, waitFor, type ProductionStack } from './support/productionStack';

/**
 * One trace from an HTTP request through the workflow to each activity, exported by the real API
 * and worker processes over OTLP/HTTP (protobuf) to a local receiver that decodes the payloads
 * with the OTel protos (as shipped in @opentelemetry/otlp-transformer). The caller's `traceparent`
 * is continued, so the trace id is known in advance.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const root: any = require('@opentelemetry/otlp-transformer/build/src/generated/root');
const ExportTraceServiceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
jest.setTimeout(240_000);

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';
const spans: ReceivedSpan[] = [];
let receiver: http.Server;
let stack: ProductionStack;
const contentTypes = new Set<string>();

const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex');

/** AnyValue → JS value; int64 arrives as a protobufjs Long. */
function valueOf(v: Record<string, unknown>): unknown {
  const raw: unknown = Object.values(v)[0];
  return raw !== null && typeof raw === 'object' && 'low' in raw ? Number((raw as { toString(): string }).toString()) : raw;
}

function attributesOf(list: { key: string; value: Record<string, unknown> }[] = []): Record<string, unknown> {
  return Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));
}

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        contentTypes.add(String(req.headers['content-type']));
        const message = ExportTraceServiceRequest.decode(Buffer.concat(chunks));
        for (const rs of message.resourceSpans ?? []) {
          const service = String(attributesOf(rs.resource?.attributes)['service.name']);
          for (const ss of rs.scopeSpans ?? []) {
            for (const span of ss.spans ?? []) {
              spans.push({
                service,
                traceId: hex(span.traceId),
                spanId: hex(span.spanId),
                parentSpanId: hex(span.parentSpanId),
                name: span.name,
                kind: span.kind,
                attributes: attributesOf(span.attributes),
              });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  stack = await startProductionStack({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '200' });
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((r) => receiver?.close(r));
});

test("POST /runs → StartWorkflow → RunWorkflow → every activity, in one trace that continues the caller's", async () => {
  const started = await stack.call(
    'POST',
    '/api/v1/runs',
    ADMIN,
    { runbook: 'restart-service', params: { service: 'auth', environment: 'staging' } },
    { traceparent: `00-${TRACE_ID}-${PARENT_SPAN}-01` },
  );
  expect(started.status).toBe(202);
  const runId = started.body.runId as string;
  await waitFor('run finished', async () => {
    const state = await stack.call('GET', `/api/v1/runs/${runId}`, ADMIN);
    return ['succeeded', 'failed'].includes(state.body?.status) ? state.body.status : undefined;
  });
  // restart + verify are command steps: both activity spans must arrive before we look at the tree.
  const trace = await waitFor(
    'spans exported',
    async () => {
      const mine = spans.filter((s) => s.traceId === TRACE_ID);
      return mine.filter((s) => s.name.startsWith('RunActivity')).length >= 2 && mine.some((s) => s.name.startsWith('RunWorkflow')) ? mine : undefined;
    },
    60_000,
  );

  expect([...contentTypes]).toEqual(['application/x-protobuf']);
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const server = trace.find((s) => s.service === 'copilot-api' && s.name === 'POST /api/v1/runs');
  expect(server).toBeDefined();
  expect(server!.parentSpanId).toBe(PARENT_SPAN);
  expect(server!.attributes['http.response.status_code']).toBe(202);

  const start = trace.find((s) => s.name === 'StartWorkflow:runbookRun');
  expect(start?.service).toBe('copilot-api');
  const run = trace.find((s) => s.name === 'RunWorkflow:runbookRun');
  expect(run?.service).toBe('copilot-worker');
  const activities = trace.filter((s) => s.name.startsWith('RunActivity'));
  expect(activities.map((s) => s.name)).toEqual(expect.arrayContaining(['RunActivity:commandStep']));

  // Every span leads back to the HTTP server span through its parents.
  const ancestors = (span: ReceivedSpan): string[] => {
    const chain: string[] = [];
    let current: ReceivedSpan | undefined = span;
    while (current && chain.length < 50) {
      chain.push(current.name);
      current = byId.get(current.parentSpanId);
    }
    return chain;
  };
  for (const span of [start!, run!, ...activities]) expect(ancestors(span)).toContain('POST /api/v1/runs');
});
