import { createHash } from 'node:crypto';
import { resolveParams } from '../../domain/runParams';
import type { Principal } from '../../domain/roles';
import { IncidentError, type IncidentService } from '../../incidents/incidentService';
import type { IncidentSeverity, IncidentState } from '../../incidents/types';
import { RunClientError } from '../../temporal/runClient';
import { paramsText } from '../answers/templates';
import { entityValue } from '../nlp/references';
import type { Entity, Proposal } from '../model/types';
import type { ChatCatalogue, ChatRuns } from './runActions';

/**
 * IncidentCreate / IncidentUpdate / IncidentResolve / IncidentRemediate from chat, through the same
 * IncidentService the API uses (source "chat"). Chat first prepares a proposal (the incident looked
 * up, so the card names its title, severity and status), and executes it only after "yes".
 * `incidentAction` is the act-at-once path of sessions from before proposals (kept for replay).
 */
export type ChatIncidents = Pick<IncidentService, 'startIncident' | 'addNote' | 'resolve'> & Partial<Pick<IncidentService, 'getState' | 'remediationStarted'>>;

export type IncidentProposalAction = 'create' | 'note' | 'resolve' | 'remediate';

type IncidentFields = Pick<Proposal, 'incidentId' | 'title' | 'service' | 'severity' | 'text' | 'actionId' | 'runbook' | 'params'>;

export type PreparedIncident =
  | ({ ok: true; kind: 'incident-create' | 'incident-note' | 'incident-resolve' | 'incident-remediate'; summary: string } & IncidentFields)
  | { ok: false; message: string; incidentId?: string };

const MAX_TEXT = 2000;

function quote(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function describe(state: IncidentState): string {
  return `"${state.title}", ${state.severity}, ${state.status}`;
}

/** What a chat request would do to an incident, looked up but not done. */
export async function prepareIncident(
  incidents: ChatIncidents | undefined,
  input: { action: IncidentProposalAction; text: string; entities: Entity[] },
): Promise<PreparedIncident> {
  if (!incidents) return { ok: false, message: 'Incidents are not configured on this server.' };
  const text = input.text.slice(0, MAX_TEXT);
  if (input.action === 'create') {
    const service = entityValue(input.entities, 'service');
    const severity = SEVERITY[entityValue(input.entities, 'severity') ?? ''] ?? 'warning';
    const title = `${service ?? 'unknown service'}: reported in chat`;
    return {
      ok: true,
      kind: 'incident-create',
      title,
      severity,
      text,
      ...(service ? { service } : {}),
      summary: `I will open a ${severity} incident "${title}"${service ? ` for ${service}` : ' (no service named)'} and start its investigation (metrics, logs, traces).`,
    };
  }
  const incidentId = entityValue(input.entities, 'incident_id');
  if (!incidentId) return { ok: false, message: 'Which incident? Give me its id (inc-…).' };
  let state: IncidentState;
  try {
    if (!incidents.getState) throw new Error('incident look-up is not configured');
    state = await incidents.getState(incidentId);
  } catch (err) {
    if (err instanceof IncidentError) return { ok: false, incidentId, message: `I cannot find incident ${incidentId}.` };
    throw err;
  }
  if (state.status === 'resolved')
    return { ok: false, incidentId, message: `${incidentId} is already resolved${state.resolvedBy ? ` (by ${state.resolvedBy})` : ''}; nothing to change.` };
  if (input.action === 'note') {
    const wanted = entityValue(input.entities, 'severity');
    const severityNote = wanted
      ? ` Its severity stays ${state.severity}: chat cannot change an incident's severity, so the note records the request for ${SEVERITY[wanted] ?? wanted}.`
      : '';
    return {
      ok: true,
      kind: 'incident-note',
      incidentId,
      title: state.title,
      text,
      summary: `I will add a note to ${incidentId} (${describe(state)}): "${quote(text)}".${severityNote}`,
    };
  }
  if (input.action === 'resolve') {
    return {
      ok: true,
      kind: 'incident-resolve',
      incidentId,
      title: state.title,
      text,
      summary: `I will resolve ${incidentId} (${describe(state)}) with the resolution "${quote(text)}"; the postmortem draft will then be written.`,
    };
  }
  const named = entityValue(input.entities, 'runbook');
  const open = state.actions.filter((a) => !a.runId);
  const action = open.find((a) => a.runbook === named) ?? (named ? undefined : open[0]);
  if (!action) {
    const started = state.actions.filter((a) => a.runId).map((a) => `${a.runbook} (${a.runId})`);
    return {
      ok: false,
      incidentId,
      message: `${incidentId} has no ${named ? `proposed ${named} ` : ''}remediation waiting to start${started.length ? `; already started: ${started.join(', ')}` : ''}.`,
    };
  }
  return {
    ok: true,
    kind: 'incident-remediate',
    incidentId,
    title: state.title,
    actionId: action.id,
    runbook: action.runbook,
    params: action.params,
    summary: `I will start ${action.runbook} with ${paramsText(action.params) || 'no parameters'} for ${incidentId} (${describe(state)}), the remediation it proposed: ${quote(action.reason)}. The runbook's approval gates still apply.`,
  };
}

/** The incident id an incident-create proposal opens: the same on every retry, so "yes" opens exactly one. */
export function proposedIncidentId(key: string): string {
  return `inc-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

export interface ExecuteIncidentInput {
  proposal: Pick<Proposal, 'kind' | 'incidentId' | 'title' | 'service' | 'severity' | 'text' | 'actionId' | 'runbook' | 'params'>;
  principal: Principal;
  /** `chat:<session>:<proposal>`: derives the new incident's id; remediation uses the API's key. */
  idempotencyKey: string;
}

/** Carries out a confirmed incident proposal as the confirming user. */
export async function executeIncident(
  incidents: ChatIncidents | undefined,
  runs: ChatRuns | undefined,
  catalogue: ChatCatalogue,
  input: ExecuteIncidentInput,
): Promise<{ ok: boolean; incidentId?: string; runId?: string; text: string }> {
  if (!incidents) return { ok: false, text: 'Incidents are not configured on this server.' };
  const p = input.proposal;
  try {
    if (p.kind === 'incident-create') {
      const incidentId = proposedIncidentId(input.idempotencyKey);
      await incidents.startIncident({
        incidentId,
        title: p.title ?? 'reported in chat',
        ...(p.service ? { service: p.service } : {}),
        severity: p.severity ?? 'warning',
        ...(p.text ? { description: p.text } : {}),
        source: 'chat',
        requestedBy: input.principal,
      });
      return {
        ok: true,
        incidentId,
        text: `Opened incident ${incidentId} (${p.severity ?? 'warning'}${p.service ? `, ${p.service}` : ''}); the investigation is gathering metrics, logs and traces.`,
      };
    }
    const incidentId = p.incidentId!;
    if (p.kind === 'incident-note') {
      await incidents.addNote(incidentId, { author: input.principal.sub, text: p.text ?? '' });
      return { ok: true, incidentId, text: `Added your note to ${incidentId}.` };
    }
    if (p.kind === 'incident-resolve') {
      await incidents.resolve(incidentId, input.principal.sub, p.text);
      return { ok: true, incidentId, text: `Resolved ${incidentId}; the postmortem draft is being written.` };
    }
    if (!runs || !incidents.remediationStarted) return { ok: false, incidentId, text: 'Starting remediations is not configured on this worker.' };
    const runbook = catalogue.get(p.runbook ?? '');
    if (!runbook) return { ok: false, incidentId, text: `"${p.runbook}" is not a runbook in the catalogue, so I cannot start it.` };
    const resolved = resolveParams(runbook.params, p.params ?? {});
    if (!resolved.ok) return { ok: false, incidentId, text: `I cannot start ${p.runbook}: ${resolved.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}.` };
    // Keyed like POST /incidents/:id/remediate, so chat and the API land on the same run.
    const started = await runs.startRun({ runbook, params: resolved.params, requestedBy: input.principal, idempotencyKey: `incident:${incidentId}:${p.actionId}`.slice(0, 200) });
    await incidents.remediationStarted(incidentId, p.actionId!, started.runId, input.principal.sub);
    return { ok: true, incidentId, runId: started.runId, text: `Started ${p.runbook} as ${started.runId} for ${incidentId}. I will post its progress here.` };
  } catch (err) {
    if (err instanceof IncidentError) return { ok: false, ...(p.incidentId ? { incidentId: p.incidentId } : {}), text: `I could not update the incident: ${err.message}.` };
    if (err instanceof RunClientError) return { ok: false, ...(p.incidentId ? { incidentId: p.incidentId } : {}), text: `I could not start ${p.runbook}: ${err.message}.` };
    throw err;
  }
}

const SEVERITY: Record<string, IncidentSeverity> = { critical: 'critical', high: 'high', medium: 'warning', low: 'info' };

export interface IncidentActionInput {
  action: 'create' | 'note' | 'resolve';
  text: string;
  entities: Entity[];
  principal: Principal;
}

export async function incidentAction(incidents: ChatIncidents | undefined, input: IncidentActionInput): Promise<{ ok: boolean; incidentId?: string; text: string }> {
  if (!incidents) return { ok: false, text: 'Incidents are not configured on this server.' };
  const service = entityValue(input.entities, 'service');
  const incidentId = entityValue(input.entities, 'incident_id');
  try {
    if (input.action === 'create') {
      const severity = SEVERITY[entityValue(input.entities, 'severity') ?? ''] ?? 'warning';
      const started = await incidents.startIncident({
        title: `${service ?? 'unknown service'}: reported in chat`,
        ...(service ? { service } : {}),
        severity,
        description: input.text.slice(0, 2000),
        source: 'chat',
        requestedBy: input.principal,
      });
      return {
        ok: true,
        incidentId: started.incidentId,
        text: `Opened incident ${started.incidentId} (${severity}${service ? `, ${service}` : ''}); the investigation is gathering metrics, logs and traces.`,
      };
    }
    if (!incidentId) return { ok: false, text: 'Which incident? Give me its id (inc-…).' };
    if (input.action === 'note') {
      await incidents.addNote(incidentId, { author: input.principal.sub, text: input.text.slice(0, 2000) });
      return { ok: true, incidentId, text: `Added your note to ${incidentId}.` };
    }
    await incidents.resolve(incidentId, input.principal.sub, input.text.slice(0, 2000));
    return { ok: true, incidentId, text: `Resolved ${incidentId}; the postmortem draft is being written.` };
  } catch (err) {
    if (err instanceof IncidentError) return { ok: false, ...(incidentId ? { incidentId } : {}), text: `I could not update the incident: ${err.message}.` };
    throw err;
  }
}
