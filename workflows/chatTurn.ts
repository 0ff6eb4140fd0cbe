import { ActivityFailure, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ChatActivities } from '../chat/activities/chatActivities';
import { clarify, describeIntent } from '../chat/answers/templates';
import { confirmationOf } from '../chat/model/confirmation';
import type { QueuedMessage, Understanding } from '../chat/model/types';
import { mergeFocus } from '../chat/nlp/references';
import { permanentFailureOf } from '../domain/failureTypes';
import { hasRole } from '../domain/roles';
import type { ChatActions, Reply } from './chatActions';
import type { ChatRuntime } from './chatRuntime';

/**
 * One turn, start to finish: `turn.started`, understanding, the intent's handler, and
 * `reply.completed` with the full answer. Turns run one at a time in arrival order.
 */
const understanding = proxyActivities<ChatActivities>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '500ms', maximumInterval: '5s', maximumAttempts: 3 },
});

const answering = proxyActivities<ChatActivities>({
  startToCloseTimeout: '3m',
  heartbeatTimeout: '60s',
  retry: { initialInterval: '500ms', maximumInterval: '5s', maximumAttempts: 3 },
});

const transcript = proxyActivities<ChatActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '10s', maximumAttempts: 5 },
});

/**
 * The same two short activities as local activities: run by this worker inside the workflow task,
 * their results recorded as markers, with the same timeouts and retries. A turn then reaches its
 * answer without a task-queue round trip (workflow task → activity task → workflow task) for the
 * transcript write and for understanding. `chatAnswer` stays a remote activity: it heartbeats while
 * it streams, and an LLM answer may take minutes.
 */
const localUnderstanding = proxyLocalActivities<ChatActivities>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '500ms', maximumInterval: '5s', maximumAttempts: 3 },
});

const localTranscript = proxyLocalActivities<ChatActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '10s', maximumAttempts: 5 },
});

/** Understanding and transcript writes as local activities; sessions recorded before keep replaying their remote ones. */
const LOCAL_ACTIVITIES = 'chat-local-activities';

/** Mutating intents become proposals (approve/reject, incidents), not immediate actions. */
const PROPOSE_MUTATIONS = 'chat-propose-mutations';
/** "pause the auth deploy" / "resume it" become pause-run / resume-run proposals. */
const PAUSE_RESUME = 'chat-pause-resume';
/** "make me a runbook that …" drafts a runbook through the planner (no run). */
const RUNBOOK_COMPOSE = 'chat-runbook-compose';

/** A turn whose activities failed for good answers with the reason instead of failing the session. */
export async function processTurn(rt: ChatRuntime, actions: ChatActions, msg: QueuedMessage): Promise<void> {
  rt.processing = msg.turnId;
  try {
    await turn(rt, actions, msg);
  } catch (err) {
    const cause = err instanceof ActivityFailure && err.cause ? err.cause.message : (err as Error).message;
    // A permanent data failure (a value the store refused) gets its type, so a client can tell it
    // from an outage, and a short apology instead of a database message.
    const permanent = permanentFailureOf(err);
    await rt.turnEvent(msg.turnId, 'turn.failed', { error: cause, ...(permanent ? { failureType: permanent.type } : {}) });
    const text = permanent ? `Sorry, I could not process that message: it contains data I cannot store (${permanent.type}).` : `Sorry, I could not finish that: ${cause}`;
    await rt.turnEvent(msg.turnId, 'reply.completed', { text, failed: true, degraded: false });
  } finally {
    rt.processing = undefined;
  }
}

async function turn(rt: ChatRuntime, actions: ChatActions, msg: QueuedMessage): Promise<void> {
  const { turnId } = msg;
  await rt.turnEvent(turnId, 'turn.started', { content: msg.content, by: msg.principal.sub });
  const local = patched(LOCAL_ACTIVITIES);
  const record = local ? localTranscript : transcript;
  await record.chatRecordTurn({ sessionId: rt.input.sessionId, role: 'user', content: msg.content, subject: msg.principal.sub });

  let u: Understanding | undefined;
  let replied = false;
  let meta: Record<string, unknown> = {};
  // Templated replies: one delta, then the completion (the streamed path writes its own deltas).
  const reply: Reply = async (text, extra = {}) => {
    replied = true;
    await rt.turnEvent(turnId, 'reply.delta', { text, index: 0, attempt: 0 });
    await complete(text, extra);
  };
  const complete = async (text: string, extra: Record<string, unknown>) => {
    meta = { ...meta, ...extra };
    await rt.turnEvent(turnId, 'reply.completed', {
      text,
      ...(u ? { intent: u.intent, source: u.source, entities: u.entities, queries: u.queries.map((q) => ({ language: q.language, query: q.query, valid: q.valid })) } : {}),
      degraded: u?.degraded ?? false,
      ...meta,
    });
    await record.chatRecordTurn({ sessionId: rt.input.sessionId, role: 'assistant', content: text, subject: msg.principal.sub });
  };

  const answer = confirmationOf(msg.content);
  if (answer && (rt.state.proposals.length > 0 || answer === 'confirm')) {
    await actions.confirm(msg, answer, reply);
    rt.remember(`${turnId} ${msg.principal.sub}: ${answer}`);
    return;
  }

  const { usage, ...understood } = await (local ? localUnderstanding : understanding).chatUnderstand({
    sessionId: rt.input.sessionId,
    subject: msg.principal.sub,
    text: msg.content,
    focus: rt.state.focus,
    ...(rt.state.last ? { last: rt.state.last } : {}),
  });
  u = understood;
  rt.addUsage(usage);
  rt.state.focus = mergeFocus(rt.state.focus, u.entities, rt.state.turnCounter);
  if (u.intent.type !== 'Unknown') rt.state.last = { intent: u.intent.type, entities: u.entities.filter((e) => e.type !== 'decision') };
  await rt.turnEvent(turnId, 'turn.understood', { intent: u.intent, entities: u.entities, source: u.source, degraded: u.degraded });
  rt.remember(`${turnId} ${msg.principal.sub}: ${describeIntent(u.intent.type)} (${u.entities.map((e) => `${e.type}=${e.value}`).join(', ') || 'no entities'})`);

  // "investigate the checkout alerts" from an operator opens an investigation, as the webhook does;
  // for anyone else it stays a read-only question. Patched: sessions started before keep replaying.
  const investigate =
    u.intent.type === 'AlertInvestigation' && u.intent.confidence >= rt.options.confidenceThreshold && hasRole(msg.principal, 'operator') && patched('chat-alert-investigation');
  if (u.intent.confidence < rt.options.confidenceThreshold) {
    await reply(clarify(u.intent.type, u.intent.confidence), { clarification: true });
  } else if (investigate) {
    if (patched(PROPOSE_MUTATIONS)) await actions.proposeIncident(msg, 'create', u.entities, reply);
    else await actions.incident(msg, 'create', u.entities, reply);
  } else if ((u.intent.type === 'RunPause' || u.intent.type === 'RunResume') && patched(PAUSE_RESUME)) {
    // New intents; patched so a history recorded before them keeps its commands (unpatched: answered as a question).
    await actions.proposePause(msg, u.intent.type === 'RunPause' ? 'pause' : 'resume', u.entities, reply);
  } else if (u.intent.type === 'RunbookCompose' && patched(RUNBOOK_COMPOSE)) {
    // New intent; patched so a history recorded before it keeps its commands (unpatched: answered as a question).
    await actions.composeRunbook(msg, reply);
  } else {
    switch (u.intent.type) {
      case 'WorkflowTrigger':
      case 'TestExecute':
      case 'TestCoverage':
      case 'TestGenerate':
        await actions.propose(msg, u.intent.type, u.entities, reply);
        break;
      case 'WorkflowCancel':
        await actions.proposeCancel(msg, u.entities, reply);
        break;
      case 'WorkflowStatus':
        await actions.status(u.entities, reply);
        break;
      // Every other mutating intent is a proposal too. Patched: sessions whose history acted at once keep replaying.
      case 'ApprovalDecision':
        if (patched(PROPOSE_MUTATIONS)) await actions.proposeDecision(msg, u.entities, reply);
        else await actions.decide(msg, u.entities, reply);
        break;
      case 'IncidentCreate':
        if (patched(PROPOSE_MUTATIONS)) await actions.proposeIncident(msg, 'create', u.entities, reply);
        else await actions.incident(msg, 'create', u.entities, reply);
        break;
      case 'IncidentUpdate':
        if (patched(PROPOSE_MUTATIONS)) await actions.proposeIncident(msg, 'note', u.entities, reply);
        else await actions.incident(msg, 'note', u.entities, reply);
        break;
      case 'IncidentResolve':
        if (patched(PROPOSE_MUTATIONS)) await actions.proposeIncident(msg, 'resolve', u.entities, reply);
        else await actions.incident(msg, 'resolve', u.entities, reply);
        break;
      case 'IncidentRemediate':
        // New with proposals: no history acted on it at once.
        await actions.proposeIncident(msg, 'remediate', u.entities, reply);
        break;
      default: {
        // Read-only questions: queries + a streamed answer. An LLM suggestion is only ever a proposal.
        const out = await answering.chatAnswer({ sessionId: rt.input.sessionId, subject: msg.principal.sub, streamId: rt.streamId, turnId, text: msg.content, understanding: u });
        rt.addUsage(out.usage);
        u = { ...u, degraded: out.degraded, ...(out.degradedReason ? { degradedReason: out.degradedReason } : {}) };
        replied = true;
        await complete(out.text, { ...(out.degradedReason ? { degradedReason: out.degradedReason } : {}), ...(out.cached ? { cached: true } : {}) });
        const suggestion = out.suggestions[0];
        if (suggestion) await actions.propose(msg, 'WorkflowTrigger', u.entities, async (text, extra) => rt.turnEvent(turnId, 'action.note', { text, ...extra }), suggestion);
      }
    }
  }
  if (!replied) await reply('Done.');
}
