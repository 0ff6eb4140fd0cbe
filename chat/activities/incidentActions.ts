import type { Principal } from '../../domain/roles';
import { IncidentError, type IncidentService } from '../../incidents/incidentService';
import type { IncidentSeverity } from '../../incidents/types';
import { entityValue } from '../nlp/references';
import type { Entity } from '../model/types';

/**
 * IncidentCreate / IncidentUpdate / IncidentResolve from chat, through the same IncidentService the
 * API uses (source "chat"). The investigation itself only ever proposes remediations.
 */
export type ChatIncidents = Pick<IncidentService, 'startIncident' | 'addNote' | 'resolve'>;

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
      return { ok: true, incidentId: started.incidentId, text: `Opened incident ${started.incidentId} (${severity}${service ? `, ${service}` : ''}); the investigation is gathering metrics, logs and traces.` };
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
