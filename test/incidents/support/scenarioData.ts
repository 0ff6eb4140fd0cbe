import type { FakeStream } from './fakeLoki';
import type { FakeTrace } from './fakeTempo';

/** Log and trace fixtures where `culprit` breaks at `pivot` and `bystander` is healthy noise. */
export function logsFor(culprit: string, bystander: string, pivot: Date, extraLines: string[] = []): FakeStream[] {
  const at = (offsetSec: number) => new Date(pivot.getTime() + offsetSec * 1000);
  return [
    { stream: { service: bystander, level: 'error' }, lines: [-600, -300, -60, 30, 90].map((o) => [at(o), `error: cache miss for key user-${o}`]) },
    {
      stream: { service: culprit, level: 'error' },
      lines: [
        [at(-400), 'error: retrying request id=17'],
        ...[10, 20, 30, 40, 50, 60].map((o): [Date, string] => [at(o), `error: connection refused to db-primary:5432 after ${o}ms`]),
        ...extraLines.map((l, i): [Date, string] => [at(70 + i), l]),
      ],
    },
  ];
}

export function tracesFor(culprit: string, front: string, pivot: Date, n = 3): FakeTrace[] {
  return Array.from({ length: n }, (_, i) => ({
    traceId: (i + 1).toString(16).padStart(32, 'c'),
    start: new Date(pivot.getTime() + (i + 1) * 15_000),
    spans: [
      { spanId: `${i}a`.padStart(16, '0'), service: front, name: 'GET /checkout', startMs: 0, durationMs: 1200 + i },
      { spanId: `${i}b`.padStart(16, '0'), parentSpanId: `${i}a`.padStart(16, '0'), service: culprit, name: 'query', startMs: 5, durationMs: 1150, error: true },
    ],
  }));
}

/**
 * Traces through a call chain (root first) failing at `originDepth`. When it `propagates`, every
 * caller above the origin fails too; otherwise only the origin's span fails.
 */
export function chainTraces(chain: string[], originDepth: number, pivot: Date, options: { propagates: boolean; n?: number; seed?: string } = { propagates: true }): FakeTrace[] {
  const n = options.n ?? 3;
  return Array.from({ length: n }, (_, i) => ({
    traceId: (i + 1).toString(16).padStart(32, options.seed ?? 'd'),
    start: new Date(pivot.getTime() + (i + 1) * 20_000),
    spans: chain.map((service, depth) => ({
      spanId: `${i}${depth}`.padStart(16, '0'),
      ...(depth > 0 ? { parentSpanId: `${i}${depth - 1}`.padStart(16, '0') } : {}),
      service,
      name: `call ${service}`,
      startMs: depth * 5,
      durationMs: 900 - depth * 100 + i,
      error: options.propagates ? depth <= originDepth : depth === originDepth,
    })),
  }));
}

interface DeployBackends {
  store: { append(streamId: string, events: { type: string; dedupeKey: string; data: Record<string, unknown> }[]): Promise<unknown> };
  db: { query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> };
}

/** Two earlier deploys of payments, as runbook runs: v1 90 minutes and v2 10 minutes before `pivot`. */
export async function recordPaymentsDeploys(backends: DeployBackends, pivot: Date): Promise<void> {
  for (const [runId, version, minutesBefore] of [
    ['run-deploy-old', 'v1', 90],
    ['run-deploy-new', 'v2', 10],
  ] as const) {
    await backends.store.append(runId, [{ type: 'run.started', dedupeKey: 'x', data: { runbook: 'deploy-service', params: { service: 'payments', version } } }]);
    await backends.db.query(`update run_events set created_at = $1 where stream_id = $2`, [new Date(pivot.getTime() - minutesBefore * 60_000).toISOString(), runId]);
  }
}

/** Runs started since, apart from the recorded deploys. */
export async function runStartsBesidesDeploys(backends: DeployBackends): Promise<string[]> {
  const rows = await backends.db.query<{ stream_id: string }>(`select stream_id from run_events where type = 'run.started' and stream_id not like 'run-deploy-%'`);
  return rows.map((r) => r.stream_id);
}
