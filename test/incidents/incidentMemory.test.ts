import { MIN_SIMILARITY, MemoryIncidentMemory, parseSummary, summaryOf } from '../../incidents/memoryIncidentMemory';
import { startIncidentStack, TOKENS, type IncidentStack } from './support/incidentStack';

/**
 * Long-term incident memory through the Memory module: the worker is wired like dev/worker mains
 * (`createIncidentWorkerActivities(…, memoryService)`), so a resolved incident's root cause, fix
 * and outcome become a redacted `incident` memory (Postgres medium tier + the vector store
 * `openMemory` selects), and the next similar incident of the same service finds it.
 */
let stack: IncidentStack;

beforeAll(async () => {
  stack = await startIncidentStack('mem', {}, { memory: true });
  // A deploy of payments just before: gives incident A a root-cause hypothesis without telemetry.
  await stack.backends.store.append('run-deploy-pay', [
    { type: 'run.started', dedupeKey: 'x', data: { runbook: 'deploy-service', params: { service: 'payments', version: 'v7' } } },
  ]);
  await stack.backends.db.query(`update run_events set created_at = $1 where stream_id = 'run-deploy-pay'`, [new Date(Date.now() - 15 * 60_000).toISOString()]);
});
afterAll(async () => {
  await stack?.close();
});

async function open(json: Record<string, unknown>): Promise<string> {
  const res = await stack.call('POST', '/api/v1/incidents', { token: TOKENS.operator, json: { severity: 'high', ...json } });
  expect(res.status).toBe(202);
  const id = res.body.incidentId as string;
  await stack.waitForEvent(id, (e) => e.type === 'incident.analysis');
  return id;
}

test('the memory text round-trips and is one line per field', () => {
  const text = summaryOf({ incidentId: 'inc-1', service: 'api', title: 'API 5xx\nspike', rootCause: 'api: bad deploy', fix: 'rollback', fixWorked: true, body: '' });
  expect(text.split('\n')).toHaveLength(4);
  expect(parseSummary(text)).toEqual({ incidentId: 'inc-1', service: 'api', title: 'API 5xx spike', rootCause: 'api: bad deploy', fix: 'rollback', fixWorked: true });
  expect(parseSummary('a preference, not an incident')).toBeUndefined();
});

describe('resolve A, then a similar B finds it', () => {
  let a: string;

  it('A resolves: root cause, fix and outcome go to the Memory module (redacted), not the SQL fallback', async () => {
    a = await open({ title: 'Checkout payments failing with 502 from gateway, reported by alice@example.com', service: 'payments' });
    const before = await stack.incidents.getState(a);
    expect(before.hypotheses[0]).toMatchObject({ service: 'payments' });
    const res = await stack.call('POST', `/api/v1/incidents/${a}/resolve`, { token: TOKENS.operator, json: { resolution: 'rolled payments back to v6' } });
    expect(res.status).toBe(200);
    await stack.waitForEvent(a, (e) => e.type === 'incident.resolved');

    const hits = await stack.memory!.search({ q: 'payments failing 502', kinds: ['incident'], service: 'payments', limit: 5 });
    const mine = hits.filter((h) => h.text.includes(a));
    expect(mine).toHaveLength(1);
    const text = mine[0]!.text;
    expect(text).toContain('[service payments]');
    expect(text).toContain(`Root cause: payments: `);
    expect(text).toContain('Fix: rolled payments back to v6');
    expect(text).toContain('Fix worked: unknown'); // closed by hand, no remediation ran
    expect(text).not.toContain('alice@example.com'); // redacted on the way in
    expect(await stack.memory!.get(mine[0]!.id)).toMatchObject({ kind: 'incident', scope: { service: 'payments' }, createdBy: `incident:${a}` });
    expect(await stack.backends.db.query('select 1 from incident_memory where incident_id = $1', [a])).toHaveLength(0);
  });

  it('recording again (an activity retry) does not duplicate the memory', async () => {
    const memory = new MemoryIncidentMemory(stack.memory!);
    const resolution = { incidentId: a, service: 'payments', title: 'again', rootCause: 'x', fix: 'y', body: '' };
    await memory.recordResolution(resolution);
    const hits = await stack.memory!.search({ q: 'Checkout payments failing with 502 from gateway', kinds: ['incident'], service: 'payments', limit: 10 });
    expect(hits.filter((h) => h.text.includes(a))).toHaveLength(1);
  });

  it('B (same service, similar text) gets "has this happened before" evidence pointing at A', async () => {
    const b = await open({ title: 'Checkout payments failing with 502 errors', service: 'payments' });
    const state = await stack.incidents.getState(b);
    const q = state.queries.find((x) => x.language === 'memory')!;
    expect(q.ok).toBe(true);
    expect(q.summary).toContain(a);
    const payments = state.hypotheses.find((h) => h.service === 'payments')!;
    expect(payments.statement).toContain(`similar to ${a}`);
    expect(payments.statement).toContain('rolled payments back to v6');
    expect(payments.evidence).toContain(q.evidenceId);
    const evidence = await stack.call('GET', `/api/v1/incidents/${b}/evidence/${q.evidenceId}`, { token: TOKENS.viewer });
    const body = evidence.body.body as { incidentId: string; service: string; fix: string; score: number }[];
    expect(body[0]).toMatchObject({ incidentId: a, service: 'payments', fix: 'rolled payments back to v6' });
    expect(body[0]!.score).toBeGreaterThanOrEqual(MIN_SIMILARITY);
  });

  it('another service does not see it (scoped by service); an unrelated one of the same service neither', async () => {
    for (const json of [
      { title: 'Checkout payments failing with 502 errors', service: 'search' },
      { title: 'Disk full on database host', service: 'payments' },
    ]) {
      const state = await stack.incidents.getState(await open(json));
      expect(state.queries.find((x) => x.language === 'memory')!.summary).toBe('nothing similar');
      expect(JSON.stringify(state.hypotheses)).not.toContain(a);
    }
  });
});
