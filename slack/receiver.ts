import { createHash } from 'node:crypto';
import { App, ExpressReceiver, LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { Router } from 'express';
import type { Logger } from 'pino';
import { ACTION, NOTE_VIEW, type GateButtonValue, type IncidentButtonValue, type ProposalButtonValue } from './blocks';
import type { SlackWork } from './slackTypes';

/**
 * The Slack app (official SDK, @slack/bolt). Over HTTP its ExpressReceiver is mounted in the API
 * at /slack/events (events, interactivity and slash commands share the URL): Bolt verifies every
 * request's v0 HMAC-SHA256 signature over the raw body (constant-time compare) and refuses
 * timestamps older than 5 minutes with a 401 before any handler runs. With SLACK_APP_TOKEN the
 * same handlers run over Socket Mode instead (no public URL).
 *
 * Handlers do one thing: start the `slackInteraction` workflow, then acknowledge. The response is
 * sent only after Temporal accepted the start (`processBeforeResponse`), so an acknowledged request
 * is never lost and a failed start answers 500, which Slack retries. Workflow ids come from Slack's
 * own ids, so a retried delivery (X-Slack-Retry-Num) is a duplicate start, ignored. No Web API call
 * happens here: the worker's activities make them.
 */
export const SLACK_INTERACTION_WORKFLOW = 'slackInteraction';
export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackReceiverOptions {
  signingSecret: string;
  botToken: string;
  /** Socket Mode instead of HTTP. */
  appToken?: string;
  client: Client;
  taskQueue: string;
  logger: Logger;
}

export interface SlackReceiver {
  /** HTTP mode: the router to mount on the API app (answers POST /slack/events). Socket Mode: an empty router. */
  router: Router;
  mode: 'http' | 'socket';
  /** Socket Mode connects here; HTTP mode needs no start. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

function slackLoggerFrom(logger: Logger): SlackLogger {
  const child = logger.child({ component: 'slack' });
  return {
    debug: (...msg: unknown[]) => child.debug(msg.map(String).join(' ')),
    info: (...msg: unknown[]) => child.info(msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => child.warn(msg.map(String).join(' ')),
    error: (...msg: unknown[]) => child.error(msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' ')),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

const key = (...parts: string[]) => createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 40);

/** The workflow an Events API delivery starts: one per event_id, whatever X-Slack-Retry-Num says. */
export const slackEventWorkflowId = (eventId: string): string => `slack-event-${key(eventId)}`;

/** `<@UBOT> deploy …` → `deploy …`: the mention addresses the bot, it is not part of the request. */
function withoutMention(text: string, botUserId: string | undefined): string {
  const stripped = botUserId ? text.split(`<@${botUserId}>`).join(' ') : text.replace(/^\s*<@[A-Z0-9]+>/, ' ');
  return stripped.replace(/\s+/g, ' ').trim();
}

function parseJson<T>(value: string | undefined): T | undefined {
  if (!value) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed && typeof parsed === 'object' ? (parsed as T) : undefined;
  } catch {
    return undefined;
  }
}

type Body = Record<string, unknown>;

/** The parts of a block_actions payload and its button the handlers read (https://api.slack.com/reference/interaction-payloads/block-actions). */
interface ActionBody {
  user?: { id?: string };
  trigger_id?: string;
  channel?: { id?: string };
  container?: { message_ts?: string; channel_id?: string };
  message?: { ts?: string };
}
interface ButtonAction {
  action_id?: string;
  value?: string;
  action_ts?: string;
}

export function createSlackReceiver(options: SlackReceiverOptions): SlackReceiver {
  const logger = slackLoggerFrom(options.logger);
  const router = Router();
  const socket = options.appToken !== undefined;
  const receiver = socket ? undefined : new ExpressReceiver({ signingSecret: options.signingSecret, endpoints: SLACK_EVENTS_PATH, processBeforeResponse: true, router, logger });
  const app = new App({
    ...(receiver ? { receiver } : { socketMode: true, appToken: options.appToken, signingSecret: options.signingSecret }),
    // A fixed bot token: no auth.test round trip per request (the API process never calls the Web API).
    authorize: async () => ({ botToken: options.botToken }),
    ignoreSelf: false,
    logger,
  });

  async function start(workflowId: string, work: SlackWork): Promise<void> {
    try {
      await options.client.workflow.start(SLACK_INTERACTION_WORKFLOW, {
        workflowId,
        taskQueue: options.taskQueue,
        args: [work],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return; // a retried delivery
      throw err;
    }
  }

  const botUserIdOf = (body: Body): string | undefined => {
    const auth = Array.isArray(body.authorizations) ? (body.authorizations as Body[]).find((a) => a.is_bot === true) : undefined;
    return typeof auth?.user_id === 'string' ? auth.user_id : undefined;
  };

  const str = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);

  app.event('app_mention', async ({ event, body }) => {
    const e = event as unknown as Body;
    if (e.bot_id || typeof e.user !== 'string') return;
    const ts = str(e.ts);
    await start(slackEventWorkflowId(str((body as Body).event_id, ts)), {
      kind: 'message',
      user: e.user,
      channel: str(e.channel),
      ts,
      threadTs: str(e.thread_ts, ts),
      text: withoutMention(str(e.text), botUserIdOf(body)),
      isDm: false,
    });
  });

  app.event('message', async ({ event, body }) => {
    const e = event as unknown as Body;
    // Edits, joins, bot posts (our own replies included) are not requests.
    if (e.subtype !== undefined || e.bot_id || typeof e.user !== 'string') return;
    const isDm = e.channel_type === 'im';
    const botUserId = botUserIdOf(body);
    const text = str(e.text);
    const ts = str(e.ts);
    const threadTs = str(e.thread_ts);
    // In channels: only replies in a thread, and not those mentioning the bot (they arrive as app_mention too).
    if (!isDm && (threadTs === '' || (botUserId !== undefined && text.includes(`<@${botUserId}>`)))) return;
    await start(slackEventWorkflowId(str((body as Body).event_id, ts)), {
      kind: 'message',
      user: e.user,
      channel: str(e.channel),
      ts,
      threadTs: isDm ? '' : threadTs,
      text: withoutMention(text, botUserId),
      isDm,
      // A plain thread reply continues a conversation the user already has with the copilot there; others are not for us.
      ...(isDm ? {} : { onlyKnownThread: true }),
    });
  });

  const gateHandler =
    (decision: 'approve' | 'reject') =>
    async ({ ack, body, action }: { ack: () => Promise<void>; body: ActionBody; action: ButtonAction }) => {
      const value = parseJson<GateButtonValue>(action.value);
      if (value && typeof value.runId === 'string' && typeof value.gateId === 'string') {
        const id = key(String(body.user?.id), String(body.container?.message_ts ?? body.message?.ts ?? ''), String(action.action_id), String(action.action_ts ?? ''));
        await start(`slack-action-${id}`, {
          kind: 'gate',
          decision,
          user: String(body.user?.id),
          channel: String(body.channel?.id ?? body.container?.channel_id ?? ''),
          runId: value.runId,
          gateId: value.gateId,
          ...(typeof value.digest === 'string' ? { digest: value.digest } : {}),
          key: id,
        });
      }
      await ack();
    };
  app.action(ACTION.approve, gateHandler('approve') as never);
  app.action(ACTION.reject, gateHandler('reject') as never);

  const proposalHandler =
    (answer: 'confirm' | 'cancel') =>
    async ({ ack, body, action }: { ack: () => Promise<void>; body: ActionBody; action: ButtonAction }) => {
      const value = parseJson<ProposalButtonValue>(action.value);
      if (value && typeof value.sessionId === 'string' && typeof value.proposalId === 'string') {
        const messageTs = String(body.container?.message_ts ?? body.message?.ts ?? '');
        const id = key(String(body.user?.id), messageTs, String(action.action_id), String(action.action_ts ?? ''));
        await start(`slack-action-${id}`, {
          kind: 'proposal',
          answer,
          user: String(body.user?.id),
          channel: String(body.channel?.id ?? body.container?.channel_id ?? ''),
          messageTs,
          sessionId: value.sessionId,
          proposalId: value.proposalId,
        });
      }
      await ack();
    };
  app.action(ACTION.confirm, proposalHandler('confirm') as never);
  app.action(ACTION.cancel, proposalHandler('cancel') as never);

  const incidentHandler =
    (op: 'open-note' | 'feedback' | 'remediate', verdict?: 'confirm' | 'reject') =>
    async ({ ack, body, action }: { ack: () => Promise<void>; body: ActionBody; action: ButtonAction }) => {
      const value = parseJson<IncidentButtonValue>(action.value);
      if (value && typeof value.incidentId === 'string') {
        const id = key(String(body.user?.id), String(body.container?.message_ts ?? body.message?.ts ?? ''), String(action.action_id), String(action.action_ts ?? ''));
        await start(`slack-action-${id}`, {
          kind: 'incident',
          op,
          user: String(body.user?.id),
          channel: String(body.channel?.id ?? body.container?.channel_id ?? ''),
          incidentId: value.incidentId,
          ...(body.trigger_id ? { triggerId: body.trigger_id } : {}),
          ...(typeof value.hypothesisId === 'string' ? { hypothesisId: value.hypothesisId } : {}),
          ...(verdict ? { verdict } : {}),
          ...(typeof value.actionId === 'string' ? { actionId: value.actionId } : {}),
          key: id,
        });
      }
      await ack();
    };
  app.action(ACTION.incidentNote, incidentHandler('open-note') as never);
  app.action(ACTION.incidentConfirm, incidentHandler('feedback', 'confirm') as never);
  app.action(ACTION.incidentReject, incidentHandler('feedback', 'reject') as never);
  app.action(new RegExp(`^${ACTION.incidentRemediate}_`), incidentHandler('remediate') as never);

  // The note modal's submission: the text, the incident and the channel from private_metadata.
  app.view(NOTE_VIEW.callbackId, async ({ ack, body, view }) => {
    const meta = parseJson<{ incidentId?: string; channel?: string }>(view.private_metadata);
    const text = view.state.values[NOTE_VIEW.block]?.[NOTE_VIEW.action]?.value ?? '';
    if (meta?.incidentId && text.trim() !== '') {
      const id = key(body.user.id, view.id, view.hash ?? '');
      await start(`slack-view-${id}`, { kind: 'incident', op: 'note', user: body.user.id, channel: meta.channel ?? '', incidentId: meta.incidentId, text, key: id });
    }
    await ack();
  });

  app.command('/copilot', async ({ ack, command }) => {
    // trigger_id is unique per invocation: a redelivered command is the same workflow.
    const id = key(command.user_id, command.trigger_id);
    await start(`slack-command-${id}`, {
      kind: 'command',
      user: command.user_id,
      channel: command.channel_id,
      text: command.text ?? '',
      responseUrl: command.response_url,
      key: id,
    });
    await ack();
  });

  app.error(async (err) => {
    options.logger.error({ err: err.message, code: (err as { code?: string }).code }, 'slack handler failed');
    throw err;
  });

  return {
    router,
    mode: socket ? 'socket' : 'http',
    async start() {
      if (socket) await app.start();
    },
    async stop() {
      if (socket) await app.stop();
    },
  };
}
