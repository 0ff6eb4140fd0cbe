import { z } from 'zod';
import { stepsGuardedBy } from '../domain/dryRunPlan';
import { hasAnyRole, type Principal, type Role } from '../domain/roles';
import type { ApprovalState, RunState, RunStatus } from '../domain/runState';
import type { RunbookSource, RunOperations } from './deps';

/**
 * Every approval gate waiting right now, for one caller: found through Temporal visibility (runs
 * whose RunStatus says they wait, on this deployment's task queue), then each run's live `state`
 * query. Each item says whether the caller may decide it and, when not, why (four eyes, role,
 * already voted), so every surface shows the same reasons the workflow would give.
 */
export const PendingApproval = z.object({
  runId: z.string(),
  runbook: z.string(),
  requestedBy: z.string(),
  gateId: z.string(),
  message: z.string().optional(),
  requestedAt: z.string(),
  expiresAt: z.string(),
  requiredRoles: z.array(z.string()),
  requiredCount: z.number().int(),
  fourEyes: z.boolean(),
  votes: z.array(z.object({ approver: z.string(), decision: z.string(), at: z.string() }).loose()),
  /** Steps that cannot start before this gate is approved (catalogue runbooks). */
  guards: z.array(z.string()),
  /** The digest of what the approver is shown, when the run computes one: send it back with the decision. */
  digest: z.string().optional(),
  canDecide: z.boolean(),
  /** Why the caller may not decide, when canDecide is false. */
  reason: z.string().optional(),
  links: z.object({ run: z.string(), decide: z.string(), events: z.string() }),
});
export type PendingApproval = z.infer<typeof PendingApproval>;

export const ApprovalInboxPage = z.object({
  items: z.array(PendingApproval),
  /** Runs whose state could not be read in time (no worker answering): their gates are missing from `items`. */
  unavailable: z.array(z.string()).optional(),
});

/** Run statuses under which a gate can be pending. */
const WAITING: readonly RunStatus[] = ['waiting_approval', 'paused'] as RunStatus[];
const MAX_RUNS = 100;
const PARALLEL_QUERIES = 8;

export function decisionRight(principal: Principal, run: Pick<RunState, 'requestedBy'>, gate: ApprovalState): { canDecide: boolean; reason?: string } {
  if (!hasAnyRole(principal, ['approver', 'admin'])) return { canDecide: false, reason: 'deciding approvals requires the "approver" or "admin" role' };
  if (gate.fourEyes && run.requestedBy === principal.sub) {
    return { canDecide: false, reason: `four-eyes: ${principal.sub} requested this run and cannot decide its gate "${gate.gateId}"` };
  }
  if (!hasAnyRole(principal, gate.requiredRoles as Role[])) {
    return { canDecide: false, reason: `gate "${gate.gateId}" needs one of the roles ${gate.requiredRoles.join(', ')}` };
  }
  if (gate.votes.some((v) => v.approver === principal.sub)) return { canDecide: false, reason: `${principal.sub} already voted on gate "${gate.gateId}"` };
  return { canDecide: true };
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}

export async function pendingApprovals(
  principal: Principal,
  runs: Pick<RunOperations, 'listRuns' | 'getState'>,
  catalogue: Pick<RunbookSource, 'get'>,
): Promise<z.infer<typeof ApprovalInboxPage>> {
  const ids: string[] = [];
  for (const status of WAITING) {
    const page = await runs.listRuns({ status, ownTaskQueue: true, pageSize: MAX_RUNS });
    ids.push(...page.items.map((r) => r.runId));
  }
  const unavailable: string[] = [];
  const states = await mapLimited(ids, PARALLEL_QUERIES, async (runId) => {
    try {
      return await runs.getState(runId);
    } catch {
      unavailable.push(runId); // closed meanwhile, or no worker answering: leave it out, say so
      return undefined;
    }
  });
  const items: PendingApproval[] = [];
  for (const state of states) {
    if (!state) continue;
    const definition = catalogue.get(state.runbook);
    for (const gate of state.approvals) {
      if (gate.status !== 'pending') continue;
      const digest = (gate as { digest?: unknown }).digest;
      const base = `/api/v1/runs/${state.runId}`;
      items.push({
        runId: state.runId,
        runbook: state.runbook,
        requestedBy: state.requestedBy,
        gateId: gate.gateId,
        ...(gate.message !== undefined ? { message: gate.message } : {}),
        requestedAt: gate.requestedAt,
        expiresAt: gate.expiresAt,
        requiredRoles: gate.requiredRoles,
        requiredCount: gate.requiredCount,
        fourEyes: gate.fourEyes,
        votes: gate.votes,
        guards: definition ? stepsGuardedBy(definition.steps, gate.gateId) : [],
        ...(typeof digest === 'string' ? { digest } : {}),
        ...decisionRight(principal, state, gate),
        links: { run: base, decide: `${base}/approvals/${gate.gateId}`, events: `${base}/events` },
      });
    }
  }
  items.sort((a, b) => (a.requestedAt < b.requestedAt ? 1 : a.requestedAt > b.requestedAt ? -1 : 0));
  return unavailable.length > 0 ? { items, unavailable } : { items };
}
