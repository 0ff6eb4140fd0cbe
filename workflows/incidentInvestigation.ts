import { ApplicationFailure, allHandlersFinished, condition, continueAsNew, patched, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import { PERMANENT_FAILURE, permanentFailureOf } from '../domain/failureTypes';
import type { AlertRef, IncidentInput, IncidentState } from '../incidents/types';
import {
  INCIDENT_REJECTION,
  addNoteUpdate,
  feedbackUpdate,
  incidentAlertsSignal,
  incidentResolveSignal,
  incidentStateQuery,
  remediationStartedUpdate,
  resolveUpdate,
} from './incidentDefinitions';
import { investigate } from './incidentRound';
import { IncidentRuntime, acts, initialState } from './incidentRuntime';

/**
 * One incident, from trigger to postmortem. Investigates at once, then stays open — re-checking on
 * a timer (hours or days), taking notes, feedback and alert updates — until the alerts resolve or
 * a human resolves it. Long lives continue-as-new with the compact state; evidence bodies stay in
 * Postgres. It only PROPOSES remediations: starting one is the API's job, as a human, through the
 * runbook's own approval gate.
 */
export const CONTINUE_AFTER_EVENTS = 5000;

export async function incidentInvestigation(input: IncidentInput): Promise<IncidentState> {
  const s = input.carried ?? initialState(input);
  const rt = new IncidentRuntime(input, s);
  let resolveRequest: { by: string; resolution?: string } | undefined;
  let alertsChanged = false;

  const requestResolve = (by: string, resolution?: string) => {
    resolveRequest ??= { by, ...(resolution ? { resolution } : {}) };
  };
  /** The first human action acknowledges the incident in the incident manager (once, carried across runs). */
  const acknowledge = async (by: string) => {
    if (s.acknowledgedBy) return;
    s.acknowledgedBy = by;
    s.acknowledgedAt = new Date().toISOString();
    await rt.notify('acknowledge');
  };

  /**
   * Human input the store refused for good (over the event cap, or a value the database rejects):
   * the change is rolled back, `incident.note.rejected` says why, and the caller gets a
   * non-retryable error. Anything else (an outage) is rethrown unchanged. Reachable only since such
   * failures are non-retryable, so the patch leaves older histories replaying as before.
   */
  const rejectInput = async (err: unknown, kind: 'note' | 'feedback', by: string, rollback: () => void): Promise<never> => {
    const permanent = permanentFailureOf(err);
    if (!permanent || !patched('incident-note-rejected')) throw err;
    rollback();
    await rt.emit('incident.note.rejected', `note.rejected/${uuid4()}`, { kind, by, reason: permanent.message, failureType: permanent.type });
    await rt.save();
    throw ApplicationFailure.nonRetryable(`${kind} not stored: ${permanent.message}`, PERMANENT_FAILURE.noteRejected);
  };

  setHandler(incidentStateQuery, () => s, { description: 'The incident: status, hypotheses, queries run, actions (same JSON as GET /api/v1/incidents/:id).' });
  setHandler(incidentAlertsSignal, (alerts: AlertRef[]) => {
    for (const alert of alerts) {
      const i = s.alerts.findIndex((a) => a.fingerprint === alert.fingerprint);
      if (i >= 0) s.alerts[i] = alert;
      else s.alerts.push(alert);
    }
    alertsChanged = true;
    // The incident resolves itself when every alert of its group has resolved.
    if (s.alerts.length > 0 && s.alerts.every((a) => a.status === 'resolved')) requestResolve('alertmanager', 'all alerts resolved');
  });
  setHandler(incidentResolveSignal, ({ by, resolution }) => requestResolve(by || 'temporal-ui', resolution), {
    description: 'Resolve the incident: {"by":"<name>","resolution":"..."}',
  });
  setHandler(
    addNoteUpdate,
    async ({ author, text }) => {
      const note = { author, text, at: new Date().toISOString() };
      s.notes.push(note);
      try {
        await rt.emit('incident.note', `note/${s.notes.length}`, { ...note }, { shrink: false });
        await rt.save();
      } catch (err) {
        await rejectInput(err, 'note', author, () => s.notes.splice(s.notes.indexOf(note), 1));
      }
      await acknowledge(author);
      return note;
    },
    { validator: (_arg: { by?: string; author?: string }) => assertOpen(s) },
  );
  setHandler(
    feedbackUpdate,
    async ({ hypothesisId, verdict, by, comment }) => {
      const h = s.hypotheses.find((x) => x.id === hypothesisId)!;
      const before = s.hypotheses.map((x) => ({ ...x }));
      h.feedback = verdict === 'confirm' ? 'confirmed' : 'rejected';
      h.feedbackBy = by;
      if (verdict === 'confirm') h.confidence = 1;
      s.hypotheses.sort((a, b) => (b.feedback === 'rejected' ? -1 : b.confidence) - (a.feedback === 'rejected' ? -1 : a.confidence));
      try {
        await rt.emit(
          'incident.feedback',
          `feedback/${hypothesisId}/${s.notes.length}/${h.feedback}`,
          { hypothesisId, verdict, by, ...(comment ? { comment } : {}) },
          { shrink: false },
        );
        await rt.save();
      } catch (err) {
        await rejectInput(err, 'feedback', by, () => s.hypotheses.splice(0, s.hypotheses.length, ...before));
      }
      await acknowledge(by);
      return h;
    },
    {
      validator: ({ hypothesisId }) => {
        assertOpen(s);
        if (!s.hypotheses.some((h) => h.id === hypothesisId)) {
          throw ApplicationFailure.nonRetryable(`no hypothesis ${hypothesisId}`, INCIDENT_REJECTION.unknownHypothesis);
        }
      },
    },
  );
  setHandler(
    remediationStartedUpdate,
    async ({ actionId, runId, by }) => {
      const action = s.actions.find((a) => a.id === actionId)!;
      action.runId = runId;
      action.startedBy = by;
      await rt.emit('incident.remediation.started', `remediation/${actionId}`, { actionId, runId, by, runbook: action.runbook });
      await rt.save();
      await acknowledge(by);
      return action;
    },
    {
      validator: ({ actionId }) => {
        assertOpen(s);
        if (!s.actions.some((a) => a.id === actionId)) throw ApplicationFailure.nonRetryable(`no proposed action ${actionId}`, INCIDENT_REJECTION.unknownAction);
      },
    },
  );
  setHandler(
    resolveUpdate,
    async ({ by, resolution }) => {
      requestResolve(by, resolution);
      await condition(() => s.status === 'resolved');
      return s;
    },
    { validator: (_arg: { by?: string; author?: string }) => assertOpen(s) },
  );

  if (!input.carried) {
    await rt.emit('incident.started', 'started', {
      title: s.title,
      severity: s.severity,
      service: s.service ?? null,
      source: s.source,
      labels: s.labels,
      requestedBy: input.requestedBy.sub,
      alerts: s.alerts.length,
    });
    await rt.save();
    await rt.notify('create');
    await investigate(rt, 'initial');
    await rt.notify('update');
  }

  while (!resolveRequest) {
    const woke = await condition(() => resolveRequest !== undefined || alertsChanged, input.recheckIntervalMs);
    if (resolveRequest) break;
    const reason = woke ? 'alerts' : 'recheck';
    alertsChanged = false;
    if (!woke) s.rechecks += 1;
    await rt.emit('incident.recheck', `recheck/${s.rounds}/${reason}`, { reason, rechecks: s.rechecks, firing: rt.firing() });
    await investigate(rt, reason);
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > (input.continueAfterEvents ?? CONTINUE_AFTER_EVENTS)) {
      // A pending resolve update waits for the resolution, so "all handlers finished" would never
      // come: resolving wins over continuing.
      await condition(() => resolveRequest !== undefined || allHandlersFinished());
      if (resolveRequest) break;
      s.continuations = (s.continuations ?? 0) + 1;
      await rt.emit('incident.continued', `continued/${s.continuations}`, { continuations: s.continuations, historyLength: info.historyLength, rounds: s.rounds });
      await rt.save();
      await continueAsNew<typeof incidentInvestigation>({ ...input, alerts: s.alerts, carried: s });
    }
  }

  s.resolvedAt = new Date().toISOString();
  s.resolvedBy = resolveRequest.by;
  if (resolveRequest.resolution) s.resolution = resolveRequest.resolution;
  rt.setStatus('resolved');
  s.reportReady = true;
  s.version += 1;
  const { reportChars } = await acts.finalizeIncident(s);
  await rt.notify('resolve');
  await rt.emit('incident.resolved', 'resolved', {
    status: 'resolved',
    resolvedBy: s.resolvedBy,
    resolution: s.resolution ?? null,
    reportChars,
    top: s.hypotheses[0] ? { service: s.hypotheses[0].service, confidence: s.hypotheses[0].confidence } : null,
  });
  await condition(allHandlersFinished);
  return s;
}

function assertOpen(s: IncidentState): void {
  if (s.status === 'resolved') throw ApplicationFailure.nonRetryable(`incident ${s.incidentId} is resolved`, INCIDENT_REJECTION.resolved);
}
