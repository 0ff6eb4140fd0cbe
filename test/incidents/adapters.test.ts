import { BackendError } from '../../adapters/backendError';
import { flattenStreams, LokiClient, toNanos } from '../../adapters/lokiClient';
import { PrometheusClient, summarisePromData } from '../../adapters/prometheusClient';
import { TempoClient } from '../../adapters/tempoClient';
import { startFakeLoki, type FakeLoki } from './support/fakeLoki';
import { startFakeTempo, type FakeTempo } from './support/fakeTempo';

/** The adapters: Prometheus against the real Debian server (self-scrape), Loki/Tempo against fakes. */
const promUrl = process.env.TEST_PROMETHEUS_URL!;
let loki: FakeLoki;
let tempo: FakeTempo;
const now = new Date();
const failure = (p: Promise<unknown>): Promise<BackendError> =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as BackendError,
  );

beforeAll(async () => {
  loki = await startFakeLoki([
    {
      stream: { service: 'checkout', level: 'error' },
      lines: [
        [new Date(now.getTime() - 5000), 'error: db timeout after 3000ms'],
        [new Date(now.getTime() - 4000), 'error: db timeout after 2999ms'],
      ],
    },
    { stream: { service: 'cart', level: 'info' }, lines: [[new Date(now.getTime() - 3000), 'ok']] },
  ]);
  tempo = await startFakeTempo([
    {
      traceId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
      start: new Date(now.getTime() - 2000),
      spans: [
        { spanId: '1111111111111111', service: 'gateway', name: 'GET /pay', startMs: 0, durationMs: 900 },
        { spanId: '2222222222222222', parentSpanId: '1111111111111111', service: 'payments', name: 'charge', startMs: 10, durationMs: 850, error: true },
      ],
    },
  ]);
});
afterAll(async () => {
  await loki?.close();
  await tempo?.close();
});

describe('Prometheus (real server)', () => {
  const prom = new PrometheusClient({ url: promUrl, timeoutMs: 5000 });

  test('instant and range queries, series, labels, label values, metadata', async () => {
    const instant = await prom.instant('up');
    expect(instant.data.resultType).toBe('vector');
    const end = new Date();
    const range = await prom.range('up', new Date(end.getTime() - 30_000), end, 1);
    expect(range.data.resultType).toBe('matrix');
    const summary = summarisePromData(range.data, { maxSeries: 5, maxPoints: 5 });
    expect(summary.series[0]!.stats.max).toBe(1);
    expect(summary.series[0]!.points.length).toBeLessThanOrEqual(5);
    expect(await prom.labels()).toContain('job');
    expect(await prom.labelValues('job')).toContain('prometheus');
    expect((await prom.series(['up'])).length).toBeGreaterThan(0);
    expect(Object.keys(await prom.metadata('prometheus_build_info'))).toContain('prometheus_build_info');
  });

  test('large results are summarised: top series only, points downsampled, stats over everything', async () => {
    const end = new Date();
    const r = await prom.range('count by (__name__) ({__name__=~"go_.+"})', new Date(end.getTime() - 20_000), end, 1);
    const s = summarisePromData(r.data, { maxSeries: 2, maxPoints: 3 });
    expect(s.seriesCount).toBeGreaterThan(10);
    expect(s.series[0]!.points.length).toBeLessThanOrEqual(3);
    expect(s.series).toHaveLength(2);
    expect(s.truncated).toBe(true);
  });

  test('bad_data is a permanent error naming the backend and the query', async () => {
    const err = await prom.instant('sum(').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).kind).toBe('invalid');
    expect((err as BackendError).transient).toBe(false);
    expect((err as Error).message).toMatch(/^prometheus invalid for `sum\(`.*bad_data/);
  });

  test('a backend that is down: retried, then the circuit opens and calls fail fast', async () => {
    const down = new PrometheusClient({ url: 'http://127.0.0.1:1', timeoutMs: 2000, maxAttempts: 2, breakerThreshold: 2, breakerHalfOpenAfterMs: 60_000 });
    const first = await failure(down.instant('up'));
    expect(first.kind).toBe('unavailable');
    const started = Date.now();
    const second = await failure(down.instant('up'));
    expect(second.kind).toBe('circuit_open');
    expect(Date.now() - started).toBeLessThan(100);
  });

  test('per-call deadline', async () => {
    loki.delayMs = 1500;
    const slow = new LokiClient({ url: loki.url, timeoutMs: 300, maxAttempts: 1 });
    const err = await failure(slow.labels());
    loki.delayMs = 0;
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/^loki timeout for `labels`/);
  });
});

describe('Loki (fake server, documented wire format)', () => {
  test('streams with nanosecond timestamps, auth and tenant headers', async () => {
    const client = new LokiClient({ url: loki.url, auth: { type: 'basic', username: 'u', password: 'p:w' }, tenant: 'team-a' });
    const r = await client.queryRange('{service=~".+"} |~ "(?i)error"', new Date(now.getTime() - 60_000), new Date(now.getTime() + 1000));
    expect(r.data.resultType).toBe('streams');
    const lines = flattenStreams(r.data);
    expect(lines).toHaveLength(2);
    expect(lines[0]!.tsNs).toMatch(/^\d{19}$/);
    expect(lines[0]!.labels.service).toBe('checkout');
    const req = loki.requests.at(-1)!;
    expect(req.query.start).toBe(toNanos(new Date(now.getTime() - 60_000)));
    expect(req.headers['x-scope-orgid']).toBe('team-a');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from('u:p:w').toString('base64')}`);
  });

  test('metric queries answer a matrix; labels and values', async () => {
    const client = new LokiClient({ url: loki.url });
    const r = await client.queryRange('sum by (service) (count_over_time({service="checkout"}[1m]))', new Date(now.getTime() - 60_000), new Date(now.getTime() + 1000), {
      stepSeconds: 60,
    });
    expect(r.data.resultType).toBe('matrix');
    expect(await client.labels()).toEqual(['level', 'service']);
    expect(await client.labelValues('service')).toEqual(['cart', 'checkout']);
  });

  test('a plain-text 400 becomes a permanent error quoting Loki and the query', async () => {
    const client = new LokiClient({ url: loki.url, maxAttempts: 3 });
    const before = loki.requests.length;
    const err = await failure(client.queryRange('service="x"', now, now));
    expect(err.kind).toBe('invalid');
    expect(err.message).toContain('parse error at line 1');
    expect(err.message).toContain('`service="x"`');
    expect(loki.requests.length - before).toBe(1); // not retried
  });

  test('transient errors are retried', async () => {
    const client = new LokiClient({ url: loki.url, maxAttempts: 3, breakerThreshold: 10 });
    loki.failWith = 503;
    const before = loki.requests.length;
    const err = await failure(client.labels());
    loki.failWith = undefined;
    expect(err.kind).toBe('unavailable');
    expect(loki.requests.length - before).toBe(3);
  });
});

describe('Tempo (fake server, documented wire format)', () => {
  test('TraceQL search, trace by id with batches and base64 ids, tags, bearer auth', async () => {
    const client = new TempoClient({ url: tempo.url, auth: { type: 'bearer', token: 'tok' } });
    const hits = await client.search('{ status = error }', new Date(now.getTime() - 60_000), new Date(now.getTime() + 1000));
    expect(hits.map((h) => h.traceID)).toEqual(['a1b2c3d4e5f60718293a4b5c6d7e8f90']);
    expect(tempo.requests.at(-1)!.headers.authorization).toBe('Bearer tok');
    const spans = await client.trace(hits[0]!.traceID);
    expect(spans.find((s) => s.service === 'payments')).toMatchObject({
      spanId: '2222222222222222',
      parentSpanId: '1111111111111111',
      traceId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
      error: true,
    });
    expect(await client.tags()).toContain('service.name');
  });
});
