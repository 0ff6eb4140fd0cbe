import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AlertRef, Hypothesis, IncidentState, Note, ProposedAction } from '../incidents/types';

/**
 * Messages of the `incidentInvestigation` workflow, shared by the workflow, the API and tests.
 * Signals come from Alertmanager (through the webhook) and from the Temporal UI; updates from the
 * API, so refusals (unknown hypothesis, already resolved) are answered synchronously.
 */
export const INCIDENT_WORKFLOW = 'incidentInvestigation';

/** New or changed alerts of the incident's Alertmanager group (firing or resolved). */
export const incidentAlertsSignal = defineSignal<[AlertRef[]]>('incidentAlerts');

/** From the Temporal UI: {"by":"<name>","resolution":"..."}. */
export const incidentResolveSignal = defineSignal<[{ by: string; resolution?: string }]>('incidentResolve');

export const addNoteUpdate = defineUpdate<Note, [{ author: string; text: string }]>('addIncidentNote');

export interface FeedbackInput {
  hypothesisId: string;
  verdict: 'confirm' | 'reject';
  by: string;
  comment?: string;
}
export const feedbackUpdate = defineUpdate<Hypothesis, [FeedbackInput]>('incidentFeedback');

export const resolveUpdate = defineUpdate<IncidentState, [{ by: string; resolution?: string }]>('resolveIncident');

/** The API started a proposed runbook (as the calling operator); the workflow records it. */
export const remediationStartedUpdate = defineUpdate<ProposedAction, [{ actionId: string; runId: string; by: string }]>('incidentRemediationStarted');

export const incidentStateQuery = defineQuery<IncidentState>('incidentState');

/** Update validators reject with these ApplicationFailure types; the API maps them to 404/409. */
export const INCIDENT_REJECTION = {
  unknownHypothesis: 'UnknownHypothesis',
  unknownAction: 'UnknownAction',
  resolved: 'IncidentResolved',
} as const;
