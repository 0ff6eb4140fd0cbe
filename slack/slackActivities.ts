import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { WebClient } from '@slack/web-api';
import type { KnownBlock } from '@slack/types';
import { digestInputs, type AuditLog } from '../audit/auditLog';
import { SessionError, type SessionService } from '../chat/session/sessionService';
import { sessionStreamId, type Proposal } from '../chat/model/types';
import type { EventStore, StoredEvent } from '../domain/events';
import { hasAnyRole, hasRole, type Role } from '../domain/roles';
import type { RunbookSource } from '../api/deps';
import { resolveRunRequest } from '../api/runRequest';
import type { IncidentService } from '../incidents/incidentService';
import type { ApprovalState } from '../domain/runState';
import { RunClientError, type RunClient } from '../temporal/runClient';
import {
  ACTION,
  escapeText,
  gateCardBlocks,
  gateCardText,
  incidentCardBlocks,
  incidentCardText,
  noteModal,
  type IncidentCard,
  progressBlocks,
  progressLine,
  proposalBlocks,
  runLinks,
  slackDate,
  type GateCard,
  type Links,
} from './blocks';
import type { SlackIdentity, SlackPrincipal } from './identity';
import type { SlackStore } from './slackStore';
import type {
  ChatTurnResult,
  CommandPlan,
  FollowIncidentInput,
  FollowRunInput,
  SlackIncidentWork,
  ProposalAnswerResult,
  SlackCommandWork,
  SlackGateWork,
  SlackMessageWork,
  SlackProposalWork,
} from './slackTypes';
import { isPermanentSlackFailure, postToResponseUrl, slackCall } from './webApi';

/**
 * The Slack surface's activities (run by the worker): everything that talks to Slack or acts for a
 * Slack user. Identity is resolved at every action (identity.ts); decisions go through
 * RunClient.decide with `via: 'slack'`, so the gate's own validator (roles, four-eyes, state) has
 * the last word; each decision or refusal is one audit row (surface `slack`).
 */
export interface SlackSettings {
  approvalsChannel?: string;
  incidentsChannel?: string;
  links: Links;
  editIntervalMs: number;
  /** How often followers look for new events. */
  pollMs: number;
}

export interface SlackActivityDeps {
  web: WebClient;
  store: SlackStore;
  identity: Pick<SlackIdentity, 'resolve'>;
  runs: Pick<RunClient, 'getState' | 'decide' | 'startRun'>;
  /** Incidents: cards in SLACK_INCIDENTS_CHANNEL and their buttons (absent: incident clicks are refused). */
  incidents?: Pick<IncidentService, 'getState' | 'addNote' | 'feedback' | 'remediationStarted'>;
  /** The runbook catalogue, for remediations started from an incident card. */
  catalogue?: RunbookSource;
  sessions: Pick<SessionService, 'create' | 'send' | 'state'>;
  events: Pick<EventStore, 'list'>;
  client: Client;
  taskQueue: string;
  audit?: AuditLog;
  settings: SlackSettings;
  log?: (message: string, detail: Record<string, unknown>) => void;
}

export const SLACK_FOLLOWER_WORKFLOW = 'slackRunFollower';
export const slackFollowerId = (runId: string): string => `slack-run-${runId}`;

const NOT_MAPPED = 'You are not mapped to a copilot user, so I cannot act for you. Ask an admin to add you (SLACK_USERS or PUT /api/v1/slack/users/<your Slack id>).';
const TERMINAL: Record<string, string> = { 'run.completed': 'succeeded', 'run.failed': 'failed', 'run.cancelled': 'cancelled' };
const TERMINAL_ICON: Record<string, string> = { succeeded: ':white_check_mark:', failed: ':x:', cancelled: ':no_entry_sign:' };

function heartbeatOf<T>(): T | undefined {
  const details: unknown = Context.current().info.heartbeatDetails;
  return details && typeof details === 'object' ? (details as T) : undefined;
}

export function createSlackActivities(deps: SlackActivityDeps) {
  const { web, store, settings } = deps;
  const log = deps.log ?? (() => undefined);

  /** Posts once per key: a retried activity finds the recorded message instead of posting again. */
  async function postOnce(key: string, message: { channel: string; threadTs?: string; text: string; blocks?: KnownBlock[] }): Promise<{ channel: string; ts: string }> {
    const known = await store.message(key);
    if (known) return known;
    const res = await slackCall('chat.postMessage', () =>
      web.chat.postMessage({
        channel: message.channel,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks } : {}),
        ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    const posted = { channel: res.channel ?? message.channel, ts: res.ts ?? '' };
    await store.recordMessage(key, posted);
    return posted;
  }

  async function update(target: { channel: string; ts: string }, text: string, blocks?: KnownBlock[]): Promise<void> {
    await slackCall('chat.update', () => web.chat.update({ channel: target.channel, ts: target.ts, text, blocks: blocks ?? [] }));
  }

  /** A permanent failure (channel gone, bot removed) is logged and skipped; everything else is retried by Temporal. */
  async function tolerant(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (!isPermanentSlackFailure(err)) throw err;
      log('slack call failed permanently; skipped', { what, err: err instanceof Error ? err.message : String(err) });
    }
  }

  async function ephemeral(target: { channel: string; user: string; responseUrl?: string }, text: string): Promise<void> {
    await tolerant('ephemeral', async () => {
      if (target.responseUrl) return postToResponseUrl(target.responseUrl, { response_type: 'ephemeral', replace_original: false, text });
      await slackCall('chat.postEphemeral', () => web.chat.postEphemeral({ channel: target.channel, user: target.user, text }));
    });
  }

  async function auditSlack(
    principal: { sub: string; roles: string[] } | undefined,
    slackUser: string,
    action: string,
    target: string,
    inputs: unknown,
    outcome: 'ok' | 'refused' | 'failed',
    reason: string | null,
    key: string,
  ): Promise<void> {
    if (!deps.audit) return;
    await deps.audit.append({
      subject: principal?.sub ?? `slack:${slackUser}`,
      roles: principal?.roles ?? [],
      surface: 'slack',
      action,
      target,
      inputDigest: digestInputs(inputs),
      outcome,
      reason: reason ? reason.slice(0, 2000) : null,
      dedupeKey: `slack/${key}`.slice(0, 500),
    });
  }

  // ---- chat turns -------------------------------------------------------------------------

  function threadKeyOf(work: SlackMessageWork): string {
    return work.isDm ? `dm:${work.user}` : `thread:${work.channel}:${work.threadTs}:${work.user}`;
  }

  async function sessionFor(work: SlackMessageWork, principal: SlackPrincipal, fresh = false): Promise<string> {
    const key = threadKeyOf(work);
    const existing = fresh ? undefined : await store.thread(key);
    if (existing) return existing.sessionId;
    const { sessionId } = await deps.sessions.create(principal);
    if (fresh) await store.replaceThread(key, sessionId);
    const claimed = await store.claimThread(key, { sessionId, channel: work.channel, threadTs: work.isDm ? '' : work.threadTs, slackUserId: work.user });
    return claimed.sessionId;
  }

  interface TurnProgress {
    sessionId: string;
    turnId: string;
    afterSeq: number;
  }

  async function slackChatTurn(work: SlackMessageWork): Promise<ChatTurnResult> {
    const ctx = Context.current();
    if (work.onlyKnownThread && !(await store.thread(threadKeyOf(work)))) return { runIds: [] };
    const principal = await deps.identity.resolve(work.user);
    if (!principal) {
      await ephemeral(work, NOT_MAPPED);
      return { runIds: [] };
    }
    let progress = heartbeatOf<TurnProgress>();
    if (!progress) {
      let sessionId = await sessionFor(work, principal);
      let sent;
      try {
        sent = await deps.sessions.send(sessionId, principal, work.text);
      } catch (err) {
        if (!(err instanceof SessionError)) throw err;
        if (err.code !== 'ended' && err.code !== 'not_found') {
          await ephemeral(work, `I could not take that message: ${err.message}`);
          return { runIds: [] };
        }
        // The thread's session ended (DELETE /sessions, retention): this message starts a new one.
        sessionId = await sessionFor(work, principal, true);
        sent = await deps.sessions.send(sessionId, principal, work.text);
      }
      progress = { sessionId, turnId: sent.turnId, afterSeq: sent.afterSeq };
      ctx.heartbeat(progress);
    }
    const { sessionId, turnId } = progress;
    const replyTarget = { channel: work.channel, ...(work.isDm ? {} : { threadTs: work.threadTs }) };
    const reply = await postOnce(`turn/${sessionId}/${turnId}`, { ...replyTarget, text: ':hourglass_flowing_sand: _thinking…_' });

    const stream = sessionStreamId(sessionId);
    let afterSeq = progress.afterSeq;
    let streamed = '';
    let shown = '';
    let lastEdit = 0;
    for (;;) {
      const batch = await deps.events.list(stream, afterSeq, 500);
      for (const e of batch) {
        afterSeq = e.seq;
        if (e.data.turnId !== turnId) continue;
        if (e.type === 'reply.reset') streamed = '';
        if (e.type === 'reply.delta' && typeof e.data.text === 'string') streamed += e.data.text;
        if (e.type === 'reply.completed') return finishTurn(principal, sessionId, reply, e);
      }
      // Rate-limited edits: Slack allows about one chat.update per second per channel.
      if (streamed !== shown && Date.now() - lastEdit >= settings.editIntervalMs) {
        await update(reply, escapeText(streamed), [{ type: 'section', text: { type: 'mrkdwn', text: `${escapeText(streamed).slice(0, 2900)} …` } }]);
        shown = streamed;
        lastEdit = Date.now();
      }
      ctx.heartbeat({ ...progress, afterSeq: progress.afterSeq });
      await ctx.sleep(settings.pollMs);
    }
  }

  async function finishTurn(principal: SlackPrincipal, sessionId: string, reply: { channel: string; ts: string }, completed: StoredEvent): Promise<ChatTurnResult> {
    const d = completed.data;
    const text = typeof d.text === 'string' && d.text !== '' ? d.text : '(no answer)';
    const proposal = d.proposal && typeof d.proposal === 'object' ? (d.proposal as Record<string, unknown>) : undefined;
    if (proposal && typeof proposal.id === 'string') {
      const card = {
        sessionId,
        proposalId: proposal.id,
        summary: typeof proposal.summary === 'string' ? proposal.summary : text,
        ...(typeof proposal.runbook === 'string' ? { runbook: proposal.runbook } : {}),
        ...(proposal.params && typeof proposal.params === 'object' ? { params: proposal.params as Record<string, unknown> } : {}),
        requestedBy: typeof proposal.requestedBy === 'string' ? proposal.requestedBy : principal.sub,
      };
      await update(reply, escapeText(text), proposalBlocks(text, card));
      await store.recordMessage(`proposal/${sessionId}/${proposal.id}`, reply);
    } else {
      const extra = typeof d.runId === 'string' ? `\n${runLinks(d.runId, settings.links)}` : '';
      await update(reply, escapeText(text), [{ type: 'section', text: { type: 'mrkdwn', text: `${escapeText(text).slice(0, 2800)}${extra}` } }]);
    }
    return { runIds: typeof d.runId === 'string' ? [d.runId] : [] };
  }

  // ---- proposals --------------------------------------------------------------------------

  async function slackAnswerProposal(work: SlackProposalWork): Promise<ProposalAnswerResult> {
    const principal = await deps.identity.resolve(work.user);
    if (!principal) {
      await ephemeral(work, NOT_MAPPED);
      return {};
    }
    const thread = await store.threadOfSession(work.sessionId);
    if (!thread || thread.slackUserId !== work.user) {
      await ephemeral(work, `Only the person who asked for this can ${work.answer} it.`);
      return {};
    }
    let open: Proposal | undefined;
    try {
      open = (await deps.sessions.state(work.sessionId)).proposals.find((p) => p.id === work.proposalId);
    } catch (err) {
      if (!(err instanceof SessionError)) throw err;
    }
    if (!open) {
      await ephemeral(work, 'This proposal is no longer open (it was confirmed, cancelled or replaced by a newer one). Nothing changed.');
      return {};
    }
    if (open.requestedBy && open.requestedBy !== principal.sub) {
      await ephemeral(work, `Only ${open.requestedBy} can ${work.answer} this proposal.`);
      return {};
    }
    const card = await store.message(`proposal/${work.sessionId}/${work.proposalId}`);
    const proposal: Proposal = open;
    if (card) {
      const summary = proposal.summary;
      await tolerant('proposal card', () =>
        update(
          card,
          escapeText(summary),
          proposalBlocks(summary, {
            sessionId: work.sessionId,
            proposalId: work.proposalId,
            summary,
            ...(proposal.runbook ? { runbook: proposal.runbook } : {}),
            ...(proposal.params ? { params: proposal.params } : {}),
            outcome: { status: work.answer === 'confirm' ? 'confirmed' : 'cancelled', by: principal.sub },
          }),
        ),
      );
    }
    return {
      send: {
        kind: 'message',
        user: work.user,
        channel: thread.channel,
        ts: work.messageTs,
        threadTs: thread.threadTs,
        text: work.answer === 'confirm' ? 'yes' : 'no',
        isDm: thread.threadTs === '',
      },
    };
  }

  // ---- approval gates ---------------------------------------------------------------------

  function outcomeText(gate: ApprovalState): string {
    const by = gate.decidedBy ? ` by ${gate.decidedBy}` : '';
    const at = gate.decidedAt ? ` at ${slackDate(gate.decidedAt)}` : '';
    return `${gate.status}${by}${at}`;
  }

  async function slackDecideGate(work: SlackGateWork): Promise<void> {
    const principal = await deps.identity.resolve(work.user);
    const target = `${work.runId}/${work.gateId ?? ''}`;
    const inputs = { runId: work.runId, gateId: work.gateId ?? null, decision: work.decision };
    const refuse = async (reason: string) => {
      await auditSlack(principal, work.user, 'approval.decide', target, inputs, 'refused', reason, work.key);
      await ephemeral(work, `${reason} Nothing changed.`);
    };
    if (!principal) return refuse(NOT_MAPPED);
    let state;
    try {
      state = await deps.runs.getState(work.runId);
    } catch (err) {
      if (err instanceof RunClientError && err.code === 'run_not_found') return refuse(`Run ${work.runId} does not exist.`);
      throw err;
    }
    const gate = work.gateId ? state.approvals.find((g) => g.gateId === work.gateId) : state.approvals.find((g) => g.status === 'pending');
    if (!gate) return refuse(work.gateId ? `Run ${work.runId} has no approval gate "${work.gateId}".` : `Run ${work.runId} is not waiting for an approval.`);
    const votedAlready = gate.votes.some((v) => v.approver === principal.sub);
    // A double click (or Slack delivering the click twice): the first one decided; stay silent.
    if (votedAlready) return;
    if (gate.status !== 'pending') return refuse(`Gate "${gate.gateId}" of ${work.runId} is already ${outcomeText(gate)}.`);
    if (Date.parse(gate.expiresAt) <= Date.now()) return refuse(`Gate "${gate.gateId}" of ${work.runId} expired at ${slackDate(gate.expiresAt)}.`);
    if (gate.fourEyes && state.requestedBy === principal.sub)
      return refuse(`Four-eyes: you (${principal.sub}) requested ${work.runId}, so someone else must decide gate "${gate.gateId}".`);
    if (!hasAnyRole(principal, gate.requiredRoles as Role[]))
      return refuse(`Gate "${gate.gateId}" needs the role ${gate.requiredRoles.join(' or ')}; you (${principal.sub}) have ${principal.roles.join(', ') || 'none'}.`);
    const decision = {
      gateId: gate.gateId,
      decision: work.decision,
      approver: principal.sub,
      approverRoles: principal.roles,
      via: 'slack' as const,
      ...(work.digest ? { digest: work.digest } : {}),
    };
    try {
      await deps.runs.decide(work.runId, decision);
    } catch (err) {
      if (!(err instanceof RunClientError)) throw err;
      if (err.code === 'already_decided' || err.code === 'run_closed') {
        const now = await deps.runs.getState(work.runId).catch(() => undefined);
        const again = now?.approvals.find((g) => g.gateId === gate.gateId);
        if (again?.votes.some((v) => v.approver === principal.sub)) return; // our own concurrent click won
        return refuse(`Gate "${gate.gateId}" of ${work.runId} is already ${again ? outcomeText(again) : 'closed'}.`);
      }
      return refuse(err.message.endsWith('.') ? err.message : `${err.message}.`);
    }
    await auditSlack(principal, work.user, 'approval.decide', `${work.runId}/${gate.gateId}`, inputs, 'ok', null, work.key);
  }

  // ---- slash command ----------------------------------------------------------------------

  const USAGE = 'Usage: `/copilot <question or request>` · `/copilot status run-…` · `/copilot approve run-… [gate]` · `/copilot reject run-… [gate]`';

  async function slackPlanCommand(work: SlackCommandWork): Promise<CommandPlan> {
    const text = work.text.trim();
    const respond = (message: string) => ephemeral({ channel: work.channel, user: work.user, responseUrl: work.responseUrl }, message);
    if (text === '' || text === 'help') {
      await respond(USAGE);
      return { kind: 'done' };
    }
    const status = /^status\s+(run-[A-Za-z0-9-]+)\s*$/i.exec(text);
    if (status) {
      const principal = await deps.identity.resolve(work.user);
      if (!principal) {
        await respond(NOT_MAPPED);
        return { kind: 'done' };
      }
      const runId = status[1]!;
      try {
        const s = await deps.runs.getState(runId);
        const gates = s.approvals.map((g) => `gate \`${escapeText(g.gateId)}\` ${g.status}${g.decidedBy ? ` by ${escapeText(g.decidedBy)}` : ''}`).join(', ');
        const steps = s.steps.map((st) => `\`${escapeText(st.id)}\` ${st.status}`).join(', ');
        await respond(
          `*${escapeText(s.runbook)}* ${escapeText(runId)}: *${s.status}*${s.waitingFor ? ` (${escapeText(s.waitingFor)})` : ''}\nrequested by ${escapeText(s.requestedBy)}\nsteps: ${steps || '—'}${gates ? `\n${gates}` : ''}\n${runLinks(runId, settings.links)}`,
        );
      } catch (err) {
        if (!(err instanceof RunClientError && err.code === 'run_not_found')) throw err;
        await respond(`Run ${escapeText(runId)} does not exist.`);
      }
      return { kind: 'done' };
    }
    const decide = /^(approve|reject)\s+(run-[A-Za-z0-9-]+)(?:\s+(\S+))?\s*$/i.exec(text);
    if (decide) {
      return {
        kind: 'gate',
        work: {
          kind: 'gate',
          decision: decide[1]!.toLowerCase() === 'reject' ? 'reject' : 'approve',
          user: work.user,
          channel: work.channel,
          runId: decide[2]!,
          ...(decide[3] ? { gateId: decide[3] } : {}),
          responseUrl: work.responseUrl,
          key: work.key,
        },
      };
    }
    const principal = await deps.identity.resolve(work.user);
    if (!principal) {
      await respond(NOT_MAPPED);
      return { kind: 'done' };
    }
    // The command becomes a thread of its own: the question as the root, the answer (and any run) in it.
    const root = await postOnce(`command/${work.key}`, { channel: work.channel, text: `<@${work.user}> asked: ${escapeText(text)}` });
    return { kind: 'chat', work: { kind: 'message', user: work.user, channel: root.channel, ts: root.ts, threadTs: root.ts, text, isDm: false } };
  }

  // ---- run following ----------------------------------------------------------------------

  async function slackStartFollower(input: { runId: string; channel: string; threadTs: string }): Promise<void> {
    if (input.threadTs) await store.setRunThread(input.runId, input.channel, input.threadTs);
    await startFollower(input.runId);
  }

  const startFollower = (runId: string) => startSlackFollower(deps.client, deps.taskQueue, runId);

  async function slackFollowRun(input: FollowRunInput): Promise<void> {
    const ctx = Context.current();
    // Rendering state is rebuilt from the start of the stream on every attempt; side effects are
    // keyed (posts) or only repeated for events after the heartbeated seq (updates).
    const resumeSeq = typeof ctx.info.heartbeatDetails === 'number' ? ctx.info.heartbeatDetails : 0;
    const runId = input.runId;
    let run: { runbook: string; params: Record<string, unknown>; requestedBy: string } = { runbook: '?', params: {}, requestedBy: '?' };
    const lines: string[] = [];
    const cards = new Map<string, GateCard>();
    let thread = await store.runThread(runId);
    let header = '';
    let progressDirty = false;
    let afterSeq = 0;

    const renderHeader = (status?: string) =>
      `${status ? `${TERMINAL_ICON[status] ?? ''} ` : ':gear: '}\`${escapeText(run.runbook)}\` ${escapeText(runId)} requested by ${escapeText(run.requestedBy)}${status ? ` — *${status}*` : ''}`;

    const gateTargets = async (gateId: string) => {
      const out: { key: string; channel: string; threadTs?: string }[] = [];
      if (thread) out.push({ key: `gate/${runId}/${gateId}/thread`, channel: thread.channel, threadTs: thread.ts });
      if (settings.approvalsChannel) out.push({ key: `gate/${runId}/${gateId}/channel`, channel: settings.approvalsChannel });
      return out;
    };

    const apply = async (e: StoredEvent, live: boolean): Promise<string | undefined> => {
      const d = e.data;
      if (e.type === 'run.started') {
        run = {
          runbook: typeof d.runbook === 'string' ? d.runbook : '?',
          params: d.params && typeof d.params === 'object' ? (d.params as Record<string, unknown>) : {},
          requestedBy: typeof d.requestedBy === 'string' ? d.requestedBy : '?',
        };
        header = renderHeader();
        if (thread) {
          const t = thread;
          await tolerant(
            'progress',
            async () =>
              void (await postOnce(`run/${runId}/progress`, { channel: t.channel, threadTs: t.ts, text: header, blocks: progressBlocks(header, lines, settings.links, runId) })),
          );
        }
        return undefined;
      }
      const line = progressLine(e.type, d);
      if (line) {
        lines.push(line);
        if (live) progressDirty = true;
      }
      if (e.type === 'approval.requested' && typeof d.gateId === 'string') {
        const card: GateCard = {
          runId,
          runbook: run.runbook,
          params: run.params,
          requestedBy: run.requestedBy,
          gateId: d.gateId,
          ...(typeof d.message === 'string' ? { message: d.message } : {}),
          roles: Array.isArray(d.roles) ? d.roles.map(String) : [],
          count: typeof d.count === 'number' ? d.count : 1,
          fourEyes: d.fourEyes === true,
          expiresAt: typeof d.expiresAt === 'string' ? d.expiresAt : e.createdAt,
          ...(typeof d.digest === 'string' ? { digest: d.digest } : {}),
        };
        cards.set(d.gateId, card);
        for (const t of await gateTargets(d.gateId)) {
          await tolerant(
            'gate card',
            async () =>
              void (await postOnce(t.key, {
                channel: t.channel,
                ...(t.threadTs ? { threadTs: t.threadTs } : {}),
                text: gateCardText(card),
                blocks: gateCardBlocks(card, settings.links),
              })),
          );
        }
      }
      if (e.type === 'approval.replanned' && typeof d.gateId === 'string') {
        // A resume changed the params: the card shows the new plan, and its buttons carry the new digest
        // (a click on the old card's digest would be refused as stale).
        const base = cards.get(d.gateId);
        const plan = d.plan && typeof d.plan === 'object' ? (d.plan as { params?: unknown }) : undefined;
        if (base) {
          const replanned: GateCard = {
            ...base,
            ...(typeof d.digest === 'string' ? { digest: d.digest } : {}),
            ...(plan?.params && typeof plan.params === 'object' ? { params: plan.params as Record<string, unknown> } : {}),
          };
          cards.set(d.gateId, replanned);
          if (live) {
            for (const t of await gateTargets(d.gateId)) {
              const posted = await store.message(t.key);
              if (posted) await tolerant('gate card update', () => update(posted, gateCardText(replanned), gateCardBlocks(replanned, settings.links)));
            }
          }
        }
      }
      if (e.type === 'approval.decided' && typeof d.gateId === 'string' && live) {
        const base = cards.get(d.gateId);
        if (base) {
          const decided: GateCard = {
            ...base,
            outcome: {
              status: typeof d.status === 'string' ? d.status : 'decided',
              by: typeof d.decidedBy === 'string' ? d.decidedBy : null,
              at: e.createdAt,
              via: typeof d.via === 'string' ? d.via : null,
            },
          };
          cards.set(d.gateId, decided);
          for (const t of await gateTargets(d.gateId)) {
            const posted = await store.message(t.key);
            if (posted) await tolerant('gate card update', () => update(posted, gateCardText(decided), gateCardBlocks(decided, settings.links)));
          }
        }
      }
      return TERMINAL[e.type];
    };

    const flushProgress = async (status?: string) => {
      if (!thread || (!progressDirty && !status)) return;
      const posted = await store.message(`run/${runId}/progress`);
      header = renderHeader(status);
      if (posted) await tolerant('progress update', () => update(posted, header, progressBlocks(header, lines, settings.links, runId)));
      progressDirty = false;
    };

    for (;;) {
      thread ??= await store.runThread(runId);
      const batch = await deps.events.list(runId, afterSeq, 200);
      for (const e of batch) {
        const live = e.seq > resumeSeq;
        const terminal = await apply(e, live);
        afterSeq = e.seq;
        if (terminal) {
          if (live) {
            await flushProgress(terminal);
            const t = thread;
            if (t) {
              const error = typeof e.data.error === 'string' ? `: ${escapeText(e.data.error)}` : '';
              const text = `${TERMINAL_ICON[terminal] ?? ''} \`${escapeText(run.runbook)}\` ${escapeText(runId)} *${terminal}*${error}`;
              await tolerant(
                'final',
                async () =>
                  void (await postOnce(`run/${runId}/final`, {
                    channel: t.channel,
                    threadTs: t.ts,
                    text,
                    blocks: [
                      { type: 'section', text: { type: 'mrkdwn', text } },
                      { type: 'context', elements: [{ type: 'mrkdwn', text: runLinks(runId, settings.links) }] },
                    ],
                  })),
              );
            }
          }
          return;
        }
        if (live) ctx.heartbeat(afterSeq);
      }
      await flushProgress();
      if (batch.length === 0) {
        ctx.heartbeat(Math.max(afterSeq, resumeSeq));
        await ctx.sleep(settings.pollMs);
      }
    }
  }

  // ---- incidents --------------------------------------------------------------------------

  const incidentCardKey = (incidentId: string) => `incident/${incidentId}/card`;

  async function slackIncidentAction(work: SlackIncidentWork): Promise<void> {
    const principal = await deps.identity.resolve(work.user);
    const inputs = { incidentId: work.incidentId, op: work.op, hypothesisId: work.hypothesisId ?? null, verdict: work.verdict ?? null, actionId: work.actionId ?? null };
    const action = work.op === 'remediate' ? 'incident.remediate' : work.op === 'feedback' ? 'incident.feedback' : 'incident.note';
    const refuse = async (reason: string) => {
      if (work.op !== 'open-note') await auditSlack(principal, work.user, action, work.incidentId, inputs, 'refused', reason, work.key);
      await ephemeral(work, `${reason} Nothing changed.`);
    };
    if (!principal) return refuse(NOT_MAPPED);
    if (!hasRole(principal, 'operator')) return refuse(`Incidents need the role operator; you (${principal.sub}) have ${principal.roles.join(', ') || 'none'}.`);
    const incidents = deps.incidents;
    if (!incidents) return refuse('Incidents are not enabled in this worker.');
    try {
      if (work.op === 'open-note') {
        const state = await incidents.getState(work.incidentId);
        if (state.status === 'resolved') return refuse(`Incident ${work.incidentId} is resolved.`);
        await slackCall('views.open', () => web.views.open({ trigger_id: work.triggerId ?? '', view: noteModal(work.incidentId, work.channel) }));
        return;
      }
      if (work.op === 'note') {
        await incidents.addNote(work.incidentId, { author: principal.sub, text: work.text ?? '' });
      } else if (work.op === 'feedback') {
        await incidents.feedback(work.incidentId, { hypothesisId: work.hypothesisId ?? '', verdict: work.verdict ?? 'confirm', by: principal.sub });
      } else {
        const state = await incidents.getState(work.incidentId);
        if (state.status === 'resolved') return refuse(`Incident ${work.incidentId} is resolved.`);
        const proposed = state.actions.find((a) => a.id === work.actionId);
        if (!proposed) return refuse(`Incident ${work.incidentId} has no proposed action ${work.actionId ?? ''}.`);
        if (!deps.catalogue) return refuse('The runbook catalogue is not available in this worker.');
        let resolved;
        try {
          resolved = resolveRunRequest({ runbook: proposed.runbook, params: proposed.params }, principal, deps.catalogue);
        } catch (err) {
          return refuse(`The proposed run is not valid: ${err instanceof Error ? err.message : String(err)}.`);
        }
        // Keyed per incident + action, as POST …/remediate: a repeated click lands on the same run.
        const started = await deps.runs.startRun({
          runbook: resolved.runbook,
          params: resolved.params,
          requestedBy: principal,
          idempotencyKey: `incident:${work.incidentId}:${proposed.id}`.slice(0, 200),
        });
        await incidents.remediationStarted(work.incidentId, proposed.id, started.runId, principal.sub);
        const card = await store.message(incidentCardKey(work.incidentId));
        if (card) await store.setRunThread(started.runId, card.channel, card.ts);
        await startFollower(started.runId);
      }
    } catch (err) {
      const coded = err as { code?: string; message?: string };
      if (typeof coded.code === 'string' && ['not_found', 'resolved', 'unknown_hypothesis', 'unknown_action'].includes(coded.code))
        return refuse(`${coded.message ?? coded.code}.`);
      throw err;
    }
    await auditSlack(principal, work.user, action, work.incidentId, inputs, 'ok', null, work.key);
  }

  const INCIDENT_CARD_EVENTS = new Set([
    'incident.started',
    'incident.hypotheses',
    'incident.action.proposed',
    'incident.feedback',
    'incident.note',
    'incident.remediation.started',
    'incident.resolved',
  ]);

  /** Posts the incident's card in SLACK_INCIDENTS_CHANNEL and keeps it current until the incident is resolved. */
  async function slackFollowIncident(input: FollowIncidentInput): Promise<void> {
    const ctx = Context.current();
    const channel = settings.incidentsChannel;
    const incidents = deps.incidents;
    if (!channel || !incidents) return;
    let afterSeq = typeof ctx.info.heartbeatDetails === 'number' ? ctx.info.heartbeatDetails : 0;
    for (;;) {
      const batch = await deps.events.list(input.incidentId, afterSeq, 500);
      const relevant = batch.filter((e) => INCIDENT_CARD_EVENTS.has(e.type));
      if (relevant.length) {
        const state = await incidents.getState(input.incidentId);
        const card: IncidentCard = { ...state, ...(state.service ? { service: state.service } : {}) };
        const known = await store.message(incidentCardKey(input.incidentId));
        await tolerant('incident card', async () => {
          if (known) await update(known, incidentCardText(card), incidentCardBlocks(card, settings.links));
          else await postOnce(incidentCardKey(input.incidentId), { channel, text: incidentCardText(card), blocks: incidentCardBlocks(card, settings.links) });
        });
      }
      if (batch.length) afterSeq = batch[batch.length - 1]!.seq;
      if (batch.some((e) => e.type === 'incident.resolved')) return;
      ctx.heartbeat(afterSeq);
      if (batch.length === 0) await ctx.sleep(settings.pollMs);
    }
  }

  return { slackIncidentAction, slackFollowIncident, slackChatTurn, slackAnswerProposal, slackDecideGate, slackPlanCommand, slackStartFollower, slackFollowRun };
}

export type SlackActivities = ReturnType<typeof createSlackActivities>;

export const SLACK_INCIDENT_FOLLOWER_WORKFLOW = 'slackIncidentFollower';

/** Starts the incident's Slack card follower unless it exists. */
export async function startSlackIncidentFollower(client: Client, taskQueue: string, incidentId: string): Promise<void> {
  try {
    await client.workflow.start(SLACK_INCIDENT_FOLLOWER_WORKFLOW, {
      workflowId: `slack-incident-${incidentId}`,
      taskQueue,
      args: [{ incidentId } satisfies FollowIncidentInput],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** Starts the run's Slack follower unless it exists (any state: a run is followed once). */
export async function startSlackFollower(client: Client, taskQueue: string, runId: string): Promise<void> {
  try {
    await client.workflow.start(SLACK_FOLLOWER_WORKFLOW, {
      workflowId: slackFollowerId(runId),
      taskQueue,
      args: [{ runId } satisfies FollowRunInput],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** Action ids the receiver routes; re-exported for the receiver and tests. */
export { ACTION };
