import { createHash, randomUUID } from 'node:crypto';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { CodedError } from '../domain/codedError';
import type { Principal } from '../domain/roles';
import { CopilotKind, RequestedBy, RunStatusKey } from '../temporal/searchAttributes';
import {
  INCIDENT_REJECTION,
  INCIDENT_WORKFLOW,
  addNoteUpdate,
  feedbackUpdate,
  incidentAlertsSignal,
  incidentStateQuery,
  remediationStartedUpdate,
  resolveUpdate,
  type FeedbackInput,
} from '../workflows/incidentDefinitions';
import { serviceOf, severityOf, titleOf, toAlertRefs, type AlertmanagerPayload } from './alertmanagerPayload';
import type { IncidentRepository } from './incidentRepository';
import { initialState } from './initialState';
import type { AlertRef, Hypothesis, IncidentInput, IncidentSeverity, IncidentSource, IncidentState, Note, ProposedAction } from './types';

/**
 * Incident operations on the client side of Temporal, shared by the API, the Alertmanager webhook
 * and chat (IncidentCreate / AlertInvestigation intents call `startIncident` with source "chat").
 * Failures callers can cause are IncidentError with a code the API maps to a status.
 */
export type IncidentErrorCode = 'not_found' | 'resolved' | 'unknown_hypothesis' | 'unknown_action';

export class IncidentError extends CodedError<'incident', IncidentErrorCode> {
  readonly family = 'incident';
}

/** How investigations are started: the task queue plus the per-incident knobs of IncidentInput. */
export type IncidentSettings = { taskQueue: string } & Pick<
  IncidentInput,
  'recheckIntervalMs' | 'environment' | 'scopeLabels' | 'queryLimit' | 'continueAfterEvents' | 'llmHypotheses' | 'tokenLimit' | 'llmQueriesPerRound' | 'checkTimeLimitMs'
>;

export interface StartIncidentRequest {
  title: string;
  service?: string;
  severity: IncidentSeverity;
  description?: string;
  labels?: Record<string, string>;
  source: IncidentSource;
  requestedBy: Principal;
  groupKey?: string;
  alerts?: AlertRef[];
  incidentId?: string;
}

export interface WebhookOutcome {
  action: 'started' | 'signalled' | 'ignored';
  incidentId?: string;
}

const QUERY_TIMEOUT_MS = 10_000;

export class IncidentService {
  constructor(
    private readonly client: Client,
    readonly repo: IncidentRepository,
    private readonly settings: IncidentSettings,
  ) {}

  async startIncident(req: StartIncidentRequest): Promise<{ incidentId: string; created: boolean }> {
    const incidentId = req.incidentId ?? `inc-${randomUUID()}`;
    const input: IncidentInput = {
      incidentId,
      title: req.title,
      ...(req.service ? { service: req.service } : {}),
      severity: req.severity,
      ...(req.description ? { description: req.description } : {}),
      labels: req.labels ?? {},
      source: req.source,
      requestedBy: req.requestedBy,
      ...(req.groupKey ? { groupKey: req.groupKey } : {}),
      alerts: req.alerts ?? [],
      startedAt: new Date().toISOString(),
      recheckIntervalMs: this.settings.recheckIntervalMs,
      environment: this.settings.environment,
      scopeLabels: this.settings.scopeLabels,
      queryLimit: this.settings.queryLimit,
      ...(this.settings.tokenLimit ? { tokenLimit: this.settings.tokenLimit } : {}),
      ...(this.settings.llmQueriesPerRound !== undefined ? { llmQueriesPerRound: this.settings.llmQueriesPerRound } : {}),
      ...(this.settings.checkTimeLimitMs ? { checkTimeLimitMs: this.settings.checkTimeLimitMs } : {}),
      ...(this.settings.continueAfterEvents ? { continueAfterEvents: this.settings.continueAfterEvents } : {}),
      ...(this.settings.llmHypotheses ? { llmHypotheses: true } : {}),
    };
    try {
      await this.client.workflow.start(INCIDENT_WORKFLOW, {
        workflowId: incidentId,
        taskQueue: this.settings.taskQueue,
        args: [input],
        // An incident id names exactly one investigation, even after it closed: replays cannot reopen it.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: CopilotKind, value: 'incident' },
          { key: RunStatusKey, value: 'investigating' },
          { key: RequestedBy, value: req.requestedBy.sub },
        ],
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { incidentId, created: false };
      throw err;
    }
    // Visible to GET at once; the workflow's own saves (version ≥ 1) supersede this row.
    await this.repo.saveState(initialState(input));
    return { incidentId, created: true };
  }

  /**
   * Dedupe: an open incident of the same group is signalled; alert instances (fingerprint +
   * startsAt) already seen are a replay; otherwise a new incident whose id derives from the group
   * and its earliest start, so concurrent replays race onto the same workflow id.
   */
  async handleAlertmanager(payload: AlertmanagerPayload, principal: Principal): Promise<WebhookOutcome> {
    const alerts = toAlertRefs(payload);
    const open = await this.repo.openIncidentForGroup(payload.groupKey);
    if (open && (await this.signalAlerts(open, alerts))) {
      await this.repo.registerAlerts(
        open,
        payload.groupKey,
        alerts.filter((a) => a.status === 'firing'),
      );
      return { action: 'signalled', incidentId: open };
    }
    const known = await Promise.all(alerts.map((a) => this.repo.incidentForAlert(a.fingerprint, a.startsAt)));
    const firing = alerts.filter((a, i) => a.status === 'firing' && known[i] === undefined);
    if (firing.length === 0) {
      // A replay, or a resolution of alerts we know: tell their incident (if it is still open).
      const target = known.find((k): k is string => k !== undefined);
      if (target && (await this.signalAlerts(target, alerts))) return { action: 'signalled', incidentId: target };
      return { action: 'ignored', ...(target ? { incidentId: target } : {}) };
    }
    const earliest = firing.map((a) => a.startsAt).sort()[0]!;
    const incidentId = `inc-${createHash('sha256').update(`${payload.groupKey}\n${earliest}`).digest('hex').slice(0, 32)}`;
    const labels = { ...payload.commonLabels };
    const { created } = await this.startIncident({
      incidentId,
      title: titleOf(payload),
      ...(serviceOf(labels) ? { service: serviceOf(labels) } : {}),
      severity: severityOf(labels),
      ...(payload.commonAnnotations.description ? { description: payload.commonAnnotations.description.slice(0, 2000) } : {}),
      labels,
      source: 'alertmanager',
      requestedBy: principal,
      groupKey: payload.groupKey,
      alerts,
    });
    await this.repo.registerAlerts(incidentId, payload.groupKey, firing);
    if (!created) await this.signalAlerts(incidentId, alerts);
    return { action: created ? 'started' : 'signalled', incidentId };
  }

  /** false when the incident's workflow is gone or closed. */
  private async signalAlerts(incidentId: string, alerts: AlertRef[]): Promise<boolean> {
    try {
      await this.client.workflow.getHandle(incidentId).signal(incidentAlertsSignal, alerts);
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** The live workflow state when it answers; the projection otherwise (closed, or no worker). */
  async getState(incidentId: string): Promise<IncidentState> {
    const stored = await this.repo.getState(incidentId);
    if (!stored) throw new IncidentError('not_found', `incident ${incidentId} does not exist`);
    if (stored.status === 'resolved') return stored;
    try {
      const handle = this.client.workflow.getHandle(incidentId);
      return await this.client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(incidentStateQuery));
    } catch {
      return stored;
    }
  }

  addNote(incidentId: string, note: { author: string; text: string }): Promise<Note> {
    return this.update(incidentId, () => this.client.workflow.getHandle(incidentId).executeUpdate(addNoteUpdate, { args: [note] }));
  }

  feedback(incidentId: string, input: FeedbackInput): Promise<Hypothesis> {
    return this.update(incidentId, () => this.client.workflow.getHandle(incidentId).executeUpdate(feedbackUpdate, { args: [input] }));
  }

  resolve(incidentId: string, by: string, resolution?: string): Promise<IncidentState> {
    return this.update(incidentId, () => this.client.workflow.getHandle(incidentId).executeUpdate(resolveUpdate, { args: [{ by, ...(resolution ? { resolution } : {}) }] }));
  }

  remediationStarted(incidentId: string, actionId: string, runId: string, by: string): Promise<ProposedAction> {
    return this.update(incidentId, () => this.client.workflow.getHandle(incidentId).executeUpdate(remediationStartedUpdate, { args: [{ actionId, runId, by }] }));
  }

  private async update<T>(incidentId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        if (err.cause.type === INCIDENT_REJECTION.unknownHypothesis) throw new IncidentError('unknown_hypothesis', err.cause.message);
        if (err.cause.type === INCIDENT_REJECTION.unknownAction) throw new IncidentError('unknown_action', err.cause.message);
        if (err.cause.type === INCIDENT_REJECTION.resolved) throw new IncidentError('resolved', err.cause.message);
      }
      if (err instanceof WorkflowNotFoundError || (err as { name?: string }).name === 'WorkflowNotFoundError') {
        const stored = await this.repo.getState(incidentId);
        if (stored) throw new IncidentError('resolved', `incident ${incidentId} is closed`);
        throw new IncidentError('not_found', `incident ${incidentId} does not exist`);
      }
      throw err;
    }
  }
}
