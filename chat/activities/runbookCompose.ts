import { createHash } from 'node:crypto';
import type { Principal } from '../../domain/roles';
import { PlannerError } from '../../runbooks/planner/plannerError';
import type { RunbookPlanner } from '../../runbooks/planner/runbookPlanner';

/**
 * Chat's RunbookCompose ("make me a runbook that …"): the same planner as POST /runbooks/compose,
 * answered as a reply. It never starts a run: the reply gives the draft id and how an admin starts
 * or promotes it. The draft id is derived from the session and turn, so a retried activity saves
 * the draft once.
 */
export interface ComposeRunbookInput {
  sessionId: string;
  turnId: string;
  goal: string;
  principal: Principal;
}

export interface ComposeRunbookOutput {
  text: string;
  source: 'llm' | 'rules' | 'refused' | 'unavailable';
  draftId?: string;
  digest?: string;
}

/** A UUID (version 4 layout) from a stable key. */
export function draftIdFor(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export async function composeRunbook(planner: RunbookPlanner | undefined, input: ComposeRunbookInput): Promise<ComposeRunbookOutput> {
  if (!planner) return { source: 'unavailable', text: 'The runbook planner is not configured on this worker, so I cannot compose a runbook here.' };
  let result;
  try {
    result = await planner.compose(input.goal, input.principal, { draftId: draftIdFor(`${input.sessionId}/${input.turnId}`) });
  } catch (err) {
    if (!(err instanceof PlannerError) || err.code !== 'plan_refused') throw err;
    const problems = err.issues.slice(0, 5).map((i) => `- ${i.path}: ${i.message}`);
    return { source: 'refused', text: [`I could not compose a runbook from the catalogue for that: ${err.message}.`, ...problems, 'Nothing was saved or started.'].join('\n') };
  }
  if (result.source === 'rules') {
    const lead = result.degraded
      ? `The model could not compose a runbook just now (${result.degradedReason ?? 'unavailable'}), so here are the closest catalogue runbooks:`
      : 'No model is configured to compose runbooks, so here are the closest catalogue runbooks:';
    if (result.matches.length === 0) return { source: 'rules', text: 'No model is configured to compose runbooks, and no catalogue runbook resembles that goal.' };
    const lines = result.matches.map((m, i) => `${i + 1}. ${m.name} (${m.score.toFixed(2)}): ${m.description} (${m.why})`);
    return { source: 'rules', text: [lead, ...lines, 'Ask me to run one of them, or ask an admin to add a runbook.'].join('\n') };
  }
  const { draft, plan } = result;
  const steps = plan.steps.map((s) => `${s.id} (${s.type}${s.gatedBy.length ? `, after ${s.gatedBy.join(', ')}` : ''})`).join(' → ');
  const gates = plan.gates.map((g) => `${g.gateId} (${g.roles.join('/')}${g.stops === 'maybe' ? ', decided at run time' : ''})`);
  return {
    source: 'llm',
    draftId: draft.id,
    digest: result.digest,
    text: [
      `I composed a draft runbook "${draft.name}": ${draft.description}`,
      `Steps: ${steps}.`,
      gates.length ? `Approval gates: ${gates.join(', ')}.` : 'It has no approval gate: review it carefully before anyone runs it.',
      `Draft ${draft.id}, digest ${result.digest}. It is only a draft: nothing runs until an admin starts it`,
      `(POST /api/v1/runbooks/drafts/${draft.id}/runs, or \`copilot runbooks drafts run ${draft.id}\`), and an admin can promote it into the catalogue for review (…/promote).`,
    ].join('\n'),
  };
}
