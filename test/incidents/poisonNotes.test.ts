import { WorkflowUpdateFailedError } from '@temporalio/client';
import { PERMANENT_FAILURE } from '../../domain/failureTypes';
import { startFakeLoki, type FakeLoki } from './support/fakeLoki';
import { startFakeTempo, type FakeTempo } from './support/fakeTempo';
import { startIncidentStack, TOKENS, type IncidentStack } from './support/incidentStack';
import { logsFor, tracesFor } from './support/scenarioData';

/**
 * Poison human input sent straight through the Temporal client (bypassing the API), and poison in
 * a backend's answer (a Loki line with NUL and a lone surrogate): stored sanitised, or rejected
 * with incident.note.rejected — and the SAME incident keeps taking notes and feedback. Issue 17:
 * one NUL note made every later note and feedback on the incident time out.
 */
let stack: IncidentStack;
let loki: FakeLoki;
let tempo: FakeTempo;
let id: string;
const FFFD = '\ufffd';
const pivot = new Date(Date.now() - 2 * 60_000);

beforeAll(async () => {
  loki = await startFakeLoki(logsFor('payments', 'search', pivot, ['error: bad\u0000byte \ud800 in the payload']));
  tempo = await startFakeTempo(tracesFor('payments', 'gateway', pivot));
  stack = await startIncidentStack('incpoison', { PROMETHEUS_URL: process.env.TEST_PROMETHEUS_URL!, LOKI_URL: loki.url, TEMPO_URL: tempo.url });
  const res = await stack.call('POST', '/api/v1/incidents', { token: TOKENS.operator, json: { title: 'Checkout failing', severity: 'high' } });
  expect(res.status).toBe(202);
  id = res.body.incidentId;
  await stack.waitForEvent(id, (e) => e.type === 'incident.analysis', 60_000);
});
afterAll(async () => {
  await stack?.close();
  await loki?.close();
  await tempo?.close();
});

const handle = () => stack.backends.client.workflow.getHandle(id);
const note = (author: string, text: string) => handle().executeUpdate<{ text: string }, [unknown]>('addIncidentNote', { args: [{ author, text }] });
const feedback = (hypothesisId: string, verdict: 'confirm' | 'reject', comment: string) =>
  handle().executeUpdate<{ feedback?: string }, [unknown]>('incidentFeedback', { args: [{ hypothesisId, verdict, by: 'olga', comment }] });
const storedState = async () =>
  (
    await stack.backends.db.query<{ state: { notes: { text: string }[]; hypotheses: { id: string; feedback?: string }[] } }>('select state from incidents where incident_id = $1', [
      id,
    ])
  )[0]!.state;

test('a Loki line with NUL and a lone surrogate is kept as evidence, sanitised, and the investigation finished', async () => {
  const state = (await stack.call('GET', `/api/v1/incidents/${id}`, { token: TOKENS.viewer })).body;
  expect(state.hypotheses[0].service).toBe('payments');
  const logQuery = state.queries.find((q: { language: string }) => q.language === 'logql');
  const evidence = await stack.call('GET', `/api/v1/incidents/${id}/evidence/${logQuery.evidenceId}`, { token: TOKENS.viewer });
  expect(evidence.status).toBe(200);
  expect(JSON.stringify(evidence.body.body)).toContain(`bad${FFFD}byte ${FFFD} in the payload`);
});

test('a note and a feedback comment with NUL are stored sanitised, in the event and in the incident row', async () => {
  const stored = await note('olga', 'failover\u0000 at 10:02');
  expect(stored.text).toBe('failover\u0000 at 10:02');
  const event = await stack.waitForEvent(id, (e) => e.type === 'incident.note' && String(e.data.text).startsWith('failover'));
  expect(event.data.text).toBe(`failover${FFFD} at 10:02`);
  const hypothesisId = (await stack.call('GET', `/api/v1/incidents/${id}`, { token: TOKENS.viewer })).body.hypotheses[0].id as string;
  expect(await feedback(hypothesisId, 'confirm', 'yes\u0000')).toMatchObject({ feedback: 'confirmed' });
  const fb = await stack.waitForEvent(id, (e) => e.type === 'incident.feedback');
  expect(fb.data.comment).toBe(`yes${FFFD}`);
  expect((await storedState()).notes.map((n) => n.text)).toContain(`failover${FFFD} at 10:02`);
});

test('a note or feedback too large to store is rejected with incident.note.rejected, and the same incident takes the next ones', async () => {
  const before = await storedState();
  const huge = 'n'.repeat(300 * 1024);
  const err = await note('olga', huge).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  expect((err as WorkflowUpdateFailedError).cause).toMatchObject({ type: PERMANENT_FAILURE.noteRejected, message: expect.stringMatching(/note not stored: .*bytes/) });
  const rejected = await stack.waitForEvent(id, (e) => e.type === 'incident.note.rejected' && e.data.kind === 'note');
  expect(rejected.data).toMatchObject({ by: 'olga', failureType: PERMANENT_FAILURE.eventTooLarge, reason: expect.stringMatching(/262144 bytes/) });

  const hypothesis = before.hypotheses[1] ?? before.hypotheses[0]!;
  const fbErr = await feedback(hypothesis.id, 'reject', huge).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect((fbErr as WorkflowUpdateFailedError).cause).toMatchObject({ type: PERMANENT_FAILURE.noteRejected });
  await stack.waitForEvent(id, (e) => e.type === 'incident.note.rejected' && e.data.kind === 'feedback');
  const state = await handle().query<{ notes: unknown[]; hypotheses: { id: string; feedback?: string }[] }>('incidentState');
  expect(state.notes).toHaveLength(before.notes.length);
  expect(state.hypotheses.find((h) => h.id === hypothesis.id)?.feedback).toBe(hypothesis.feedback);

  // The same incident, normal input through the API: both land.
  const next = await stack.call('POST', `/api/v1/incidents/${id}/notes`, { token: TOKENS.operator, json: { text: 'db-primary is back' } });
  expect(next.status).toBe(201);
  await stack.waitForEvent(id, (e) => e.type === 'incident.note' && e.data.text === 'db-primary is back');
  const fb = await stack.call('POST', `/api/v1/incidents/${id}/feedback`, { token: TOKENS.operator, json: { hypothesisId: hypothesis.id, verdict: 'reject' } });
  expect(fb.status).toBe(200);
  expect(fb.body).toMatchObject({ id: hypothesis.id, feedback: 'rejected' });
  expect((await storedState()).notes.map((n) => n.text)).toEqual([...before.notes.map((n) => n.text), 'db-primary is back']);
});
