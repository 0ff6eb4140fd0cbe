import type { ApprovalDecision } from '../../domain/approval';
import type { RunbookDefinition } from '../../domain/runbook';
import { resolveParams } from '../../domain/runParams';
import type { Principal } from '../../domain/roles';
import type { RunState } from '../../domain/runState';
import { RunClientError, type RunClient } from '../../temporal/runClient';
import { paramsText } from '../answers/templates';
import { INTENT_RUNBOOKS } from '../nlp/lexicon';
import { entityValue } from '../nlp/references';
import type { Entity, IntentType } from '../model/types';

/**
 * Runs as chat sees them: a proposal resolved against the catalogue (params validated exactly as
 * POST /runs validates them), start through RunClient as the chatting user, status, cancel and
 * approval decisions (via "chat", so the gate's roles and four-eyes rule apply unchanged).
 */
export type ChatRuns = Pick<RunClient, 'startRun' | 'getState' | 'decide' | 'cancel' | 'listRuns' | 'pause' | 'resume'>;

export interface ChatCatalogue {
  get(name: string): RunbookDefinition | undefined;
  names(): readonly string[];
}

export type PreparedAction = { ok: true; runbook: string; params: Record<string, unknown>; summary: string } | { ok: false; message: string };

const ENTITY_PARAMS: [Entity['type'], string][] = [
  ['service', 'service'],
  ['version', 'version'],
  ['environment', 'environment'],
  ['replicas', 'replicas'],
];

export function prepareAction(
  catalogue: ChatCatalogue,
  intent: IntentType,
  entities: readonly Entity[],
  suggestion?: { runbook: string; params: Record<string, unknown> },
): PreparedAction {
  const name = suggestion?.runbook ?? entityValue(entities, 'runbook') ?? INTENT_RUNBOOKS[intent];
  if (!name) return { ok: false, message: `Which runbook should I run? Available: ${catalogue.names().join(', ')}.` };
  const runbook = catalogue.get(name);
  if (!runbook) return { ok: false, message: `"${name}" is not a runbook in the catalogue, so I cannot run it. Available: ${catalogue.names().join(', ') || 'none'}.` };
  const params: Record<string, unknown> = {};
  for (const [type, param] of ENTITY_PARAMS) {
    const value = entityValue(entities, type);
    if (value === undefined || !(param in runbook.params)) continue;
    params[param] = runbook.params[param]?.type === 'integer' || runbook.params[param]?.type === 'number' ? Number(value) : value;
  }
  for (const [k, v] of Object.entries(suggestion?.params ?? {})) if (k in runbook.params) params[k] = v;
  const resolved = resolveParams(runbook.params, params);
  if (!resolved.ok) {
    const issues = resolved.issues.map((i) => `${i.path.replace(/^params\./, '')}: ${i.message}`).join('; ');
    return { ok: false, message: `I cannot start ${name} yet: ${issues}.` };
  }
  const gates = runbook.steps.filter((s) => s.type === 'approval').map((s) => s.id);
  const summary = `I will run ${name} with ${paramsText(resolved.params)}.${gates.length ? ` It has approval gate${gates.length > 1 ? 's' : ''} (${gates.join(', ')}) that may need an approver.` : ''}`;
  return { ok: true, runbook: name, params: resolved.params, summary };
}

function describeState(state: RunState): { text: string; pendingGates: string[] } {
  const pending = state.approvals.filter((a) => a.status === 'pending');
  const steps = state.steps.map((s) => `${s.id} ${s.status}`).join(', ');
  const gates = pending.map((g) => `waiting for approval "${g.gateId}" (${g.requiredRoles.join('/')}${g.fourEyes ? ', four-eyes: not the requester' : ''})`);
  return {
    text: `${state.runbook} ${state.runId} is ${state.status}. Steps: ${steps}.${gates.length ? ` ${gates.join('; ')}.` : ''}${state.error ? ` Error: ${state.error}` : ''}`,
    pendingGates: pending.map((g) => g.gateId),
  };
}

export async function runStatus(runs: ChatRuns, runId: string): Promise<{ found: boolean; status?: string; text: string; pendingGates: string[] }> {
  try {
    const state = await runs.getState(runId);
    return { found: true, status: state.status, ...describeState(state) };
  } catch (err) {
    if (err instanceof RunClientError && err.code === 'run_not_found') return { found: false, text: `I cannot find run ${runId}.`, pendingGates: [] };
    throw err;
  }
}

export async function cancelRun(runs: ChatRuns, runId: string): Promise<{ ok: boolean; text: string }> {
  try {
    await runs.cancel(runId);
    return { ok: true, text: `Cancelling ${runId}: completed steps are being compensated.` };
  } catch (err) {
    if (err instanceof RunClientError) return { ok: false, text: `I could not cancel ${runId}: ${err.message}.` };
    throw err;
  }
}

export interface PauseRunInput {
  runId: string;
  action: 'pause' | 'resume';
  /** The confirming user: the run records them as who paused / resumed it (`via: chat`). */
  principal: Principal;
  /** The user's own request (already redacted); a pause must say why. */
  reason?: string;
}

/** Control characters the pause reason refuses (domain/pause.ts) become spaces; the text is capped. */
function pauseReason(text: string | undefined, fallback: string): string {
  const cleaned = (text ?? '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/g, ' ')
    .trim()
    .slice(0, 500);
  return cleaned.length > 0 ? cleaned : fallback;
}

/** Pauses or resumes a run as the confirming user, through the workflow's validated updates. */
export async function pauseRun(runs: ChatRuns, input: PauseRunInput): Promise<{ ok: boolean; status?: string; text: string }> {
  const request = {
    by: input.principal.sub,
    roles: input.principal.roles,
    reason: pauseReason(input.reason, input.action === 'pause' ? 'paused from chat' : 'resumed from chat'),
    via: 'chat' as const,
  };
  try {
    const state = input.action === 'pause' ? await runs.pause(input.runId, request) : await runs.resume(input.runId, request);
    return {
      ok: true,
      status: state.status,
      text:
        input.action === 'pause'
          ? `Paused ${state.runbook} ${input.runId}: no new step starts until someone resumes it ("resume it").`
          : `Resumed ${state.runbook} ${input.runId} (it is ${state.status} again).`,
    };
  } catch (err) {
    if (err instanceof RunClientError) return { ok: false, text: `I could not ${input.action} ${input.runId}: ${err.message}.` };
    throw err;
  }
}

export type PreparedDecision = { ok: true; runId: string; gateId: string; runbook: string; summary: string } | { ok: false; runId?: string; message: string };

/**
 * The run an approve / reject is about: the one named, else the one run waiting for approval that
 * this person did not request; with its current state.
 */
async function runToDecide(
  runs: ChatRuns,
  named: string | undefined,
  principal: Principal,
): Promise<{ ok: true; runId: string; state: RunState } | { ok: false; runId?: string; message: string }> {
  let runId = named;
  if (!runId) {
    const page = await runs.listRuns({ status: 'waiting_approval', pageSize: 20 });
    const candidates = page.items.filter((r) => r.requestedBy !== principal.sub);
    if (candidates.length !== 1) {
      return {
        ok: false,
        message:
          candidates.length === 0
            ? 'No run is waiting for your approval.'
            : `Several runs wait for approval: ${candidates.map((c) => `${c.runId} (${c.runbook})`).join(', ')}. Which one?`,
      };
    }
    runId = candidates[0]!.runId;
  }
  try {
    return { ok: true, runId, state: await runs.getState(runId) };
  } catch (err) {
    if (err instanceof RunClientError) return { ok: false, runId, message: `I cannot find run ${runId}.` };
    throw err;
  }
}

/** The run and pending gate an approve / reject would decide, described for the card; nothing is decided. */
export async function prepareDecision(runs: ChatRuns, input: { runId?: string; decision: ApprovalDecision; principal: Principal }): Promise<PreparedDecision> {
  const found = await runToDecide(runs, input.runId, input.principal);
  if (!found.ok) return { ok: false, ...(found.runId ? { runId: found.runId } : {}), message: found.message };
  const { runId, state } = found;
  const gate = state.approvals.find((a) => a.status === 'pending');
  if (!gate) return { ok: false, runId, message: `${runId} has no approval waiting (it is ${state.status}).` };
  const rules = [`needs ${gate.requiredRoles.join('/')}`, ...(gate.fourEyes ? [`four-eyes: not ${state.requestedBy}, who requested the run`] : [])];
  const selfWarning = gate.fourEyes && state.requestedBy === input.principal.sub ? ' You requested this run, so the gate will refuse your vote.' : '';
  const verb = input.decision === 'approve' ? 'approve' : 'reject';
  return {
    ok: true,
    runId,
    gateId: gate.gateId,
    runbook: state.runbook,
    summary: `I will ${verb} gate "${gate.gateId}" of ${state.runbook} ${runId} (${paramsText(state.params)}; requested by ${state.requestedBy}) as you (${rules.join('; ')}).${selfWarning}`,
  };
}

export async function decide(
  runs: ChatRuns,
  input: { runId?: string; gateId?: string; decision: ApprovalDecision; principal: Principal; comment?: string },
): Promise<{ ok: boolean; runId?: string; gateId?: string; text: string }> {
  const found = await runToDecide(runs, input.runId, input.principal);
  if (!found.ok) return { ok: false, ...(found.runId ? { runId: found.runId } : {}), text: found.message };
  const { runId, state } = found;
  // A confirmed proposal decides the gate its card named, never one that opened since.
  const gate = state.approvals.find((a) => a.status === 'pending' && (input.gateId === undefined || a.gateId === input.gateId));
  if (!gate) return { ok: false, runId, text: `${runId} has no approval${input.gateId ? ` "${input.gateId}"` : ''} waiting (it is ${state.status}).` };
  try {
    const decided = await runs.decide(runId, {
      gateId: gate.gateId,
      decision: input.decision,
      approver: input.principal.sub,
      approverRoles: input.principal.roles,
      ...(input.comment ? { comment: input.comment } : {}),
      via: 'chat',
    });
    const verb = input.decision === 'approve' ? 'Approved' : 'Rejected';
    return { ok: true, runId, gateId: gate.gateId, text: `${verb} "${gate.gateId}" of ${state.runbook} ${runId} (gate is now ${decided.status}).` };
  } catch (err) {
    if (err instanceof RunClientError) return { ok: false, runId, gateId: gate.gateId, text: `I could not record your decision on ${runId}: ${err.message}.` };
    throw err;
  }
}
