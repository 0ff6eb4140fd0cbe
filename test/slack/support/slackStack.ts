import { createHmac, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createActivities } from '../../../activities/createActivities';
import type { RunbookDocument } from '../../../domain/runbook';
import { createApp } from '../../../api/app';
import { createAuthenticator } from '../../../api/auth/authenticator';
import { startHttpServer, type RunningHttpServer } from '../../../api/httpServer';
import { createLogger } from '../../../api/logger';
import { SqlAuditLog } from '../../../audit/auditLog';
import { createChatCore, createChatWorkerActivities, createSessionService, type ChatCore } from '../../../chat/chatWiring';
import { loadConfig, type AppConfig } from '../../../config/env';
import { createSlackApi, createSlackWorkerActivities, slackAnnouncingEvents } from '../../../slack/slackWiring';
import { createRunbookWorker } from '../../../workers/createWorker';
import { createIncidentService, createIncidentWorkerActivities } from '../../../incidents/incidentWiring';
import { callApi, type ApiAnswer } from '../../support/apiCall';
import { AUTH_TOKENS, catalogueOf, TOKENS } from '../../api/support/fixtures';
import { openBackends, type Backends } from '../../api/support/testApi';
import { DEPLOY, RUN_TESTS } from '../../chat/support/chatStack';
import { quietRuntime } from '../../incidents/support/incidentStack';
import { startFakeSlack, type FakeSlack } from './fakeSlack';

/**
 * The Slack surface end to end for a test file: the FAKE Slack Web API (fakeSlack.ts), real
 * Temporal and Postgres, one worker with runbook + chat + Slack activities, and the real API with
 * the Bolt receiver at /slack/events. Requests are signed as Slack signs them (v0 HMAC-SHA256).
 */
export { TOKENS };

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const CHANNEL = 'CDEPLOY';
export const APPROVALS = 'CAPPROVALS';
export const INCIDENTS = 'CINCIDENTS';
/** Slack users: A (operator olga), B (approver adam), a viewer (vera), and one nobody mapped. */
export const USERS = { a: 'UALICE', b: 'UBOB', viewer: 'UVERA', stranger: 'USTRANGER' } as const;
export const SLACK_USERS = `${USERS.a}=olga:operator,${USERS.b}=adam:approver,${USERS.viewer}=vera:viewer`;

/** A gate that expires quickly: the cards must say so. */
export const QUICK_GATE: RunbookDocument = {
  name: 'quick-gate',
  description: 'an approval that expires after 2 s',
  steps: [{ id: 'approve', type: 'approval', approvers: { roles: ['approver'], count: 1 }, fourEyes: true, timeout: '2s' }],
};

export interface SignOptions {
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  secret?: string;
  retryNum?: number;
}

export function sign(body: string, options: SignOptions = {}): Record<string, string> {
  const ts = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', options.secret ?? SIGNING_SECRET)
    .update(`v0:${ts}:${body}`)
    .digest('hex')}`;
  return {
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': signature,
    ...(options.retryNum !== undefined ? { 'x-slack-retry-num': String(options.retryNum), 'x-slack-retry-reason': 'http_timeout' } : {}),
  };
}

export interface SlackStack {
  url: string;
  config: AppConfig;
  backends: Backends;
  slack: FakeSlack;
  audit: SqlAuditLog;
  call<T = any>(method: string, path: string, options?: { token?: string; json?: unknown }): Promise<ApiAnswer<T>>;
  /** POSTs to /slack/events as Slack would: raw body, signed. */
  post(body: string, contentType: string, options?: SignOptions): Promise<{ status: number; text: string }>;
  /** An Events API callback (app_mention / message). Returns the event_id used. */
  event(event: Record<string, unknown>, options?: SignOptions & { eventId?: string }): Promise<{ status: number; eventId: string }>;
  mention(user: string, text: string, options?: { channel?: string; threadTs?: string }): Promise<{ ts: string; status: number }>;
  /** A block_actions interaction: a click on `button` (action_id + value) of `message`. */
  click(user: string, message: { channel: string; ts: string }, button: { action_id: string; value: string }, options?: SignOptions & { actionTs?: string }): Promise<number>;
  command(user: string, text: string, options?: { channel?: string; responseId?: string }): Promise<number>;
  /** A view_submission of a modal the copilot opened (views.open), with its input values. */
  submitView(user: string, view: Record<string, unknown>, values: Record<string, Record<string, string>>): Promise<number>;
  /** Stops the HTTP API and starts a new one on the same backends (an API restart). */
  restartApi(): Promise<void>;
  waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export async function startSlackStack(name: string, env: Record<string, string> = {}): Promise<SlackStack> {
  quietRuntime();
  const backends = await openBackends(`slack_${name}`);
  const slack = await startFakeSlack({ channels: [CHANNEL, APPROVALS, INCIDENTS] });
  const config = loadConfig({
    NODE_ENV: 'test',
    TASK_QUEUE: backends.taskQueue,
    AUTH_TOKENS,
    SSE_HEARTBEAT_MS: '1000',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: slack.token,
    SLACK_API_URL: slack.apiUrl,
    SLACK_USERS,
    SLACK_APPROVALS_CHANNEL: APPROVALS,
    SLACK_INCIDENTS_CHANNEL: INCIDENTS,
    INCIDENT_RECHECK_INTERVAL: '1h',
    BACKEND_QUERY_TIMEOUT_MS: '3000',
    SLACK_EDIT_INTERVAL_MS: '200',
    SLACK_CONSOLE_URL: 'http://console.test',
    ...env,
  });
  const catalogue = catalogueOf([DEPLOY, RUN_TESTS, QUICK_GATE]);
  const core: ChatCore = await createChatCore(config, catalogue);
  const audit = new SqlAuditLog(backends.db);
  const incidents = createIncidentService(config, backends.client, backends.db);
  const logs: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write: (c: Buffer, _e, done) => {
        logs.push(c.toString());
        done();
      },
    }),
  });
  const connection = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  const worker: Worker = await createRunbookWorker({
    connection,
    namespace: 'default',
    taskQueue: backends.taskQueue,
    activities: {
      ...createActivities({
        events: await slackAnnouncingEvents(config, backends.client, backends.store),
        catalogue,
        config: { commandAllowlist: [], commandCwd: process.cwd(), runbookEnv: {}, stepLogMaxLines: 100 },
      }),
      ...createIncidentWorkerActivities(config, backends.db, await slackAnnouncingEvents(config, backends.client, backends.store)),
      ...createChatWorkerActivities(config, core, { events: backends.store, catalogue, runs: backends.runs, incidents }),
      ...(await createSlackWorkerActivities(config, {
        client: backends.client,
        db: backends.db,
        events: backends.store,
        runs: backends.runs,
        incidents,
        catalogue,
        audit,
        pollMs: 100,
      })),
    },
    workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
  });
  const running = worker.run();

  const startHttp = async (): Promise<RunningHttpServer> => {
    const slackApi = (await createSlackApi(config, { client: backends.client, db: backends.db, logger }))!;
    const app = createApp({
      config,
      runs: backends.runs,
      catalogue,
      fanout: backends.fanout,
      authenticator: createAuthenticator(config),
      logger,
      audit,
      incidents,
      slack: slackApi,
      chat: { sessions: createSessionService(config, { client: backends.client, events: backends.store, fanout: backends.fanout }), nlp: core.nlp },
      readiness: { temporal: async () => undefined, database: () => backends.db.ping() },
    });
    return startHttpServer(app, { host: '127.0.0.1', port: 0 });
  };
  let http = await startHttp();

  const stack: SlackStack = {
    get url() {
      return http.url;
    },
    config,
    backends,
    slack,
    audit,
    call: (method, path, options = {}) => callApi(http.url, method, path, options),
    async post(body, contentType, options = {}) {
      const res = await fetch(`${http.url}/slack/events`, { method: 'POST', headers: { 'content-type': contentType, ...sign(body, options) }, body });
      return { status: res.status, text: await res.text() };
    },
    async event(event, options = {}) {
      const eventId = options.eventId ?? `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
      const body = JSON.stringify({
        token: 'legacy-verification-token',
        team_id: 'T0FAKE',
        api_app_id: 'A0FAKE',
        type: 'event_callback',
        event_id: eventId,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ team_id: 'T0FAKE', user_id: 'UBOT', is_bot: true }],
        event,
      });
      const res = await stack.post(body, 'application/json', options);
      return { status: res.status, eventId };
    },
    async mention(user, text, options = {}) {
      const ts = `${Math.floor(Date.now() / 1000)}.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
      const { status } = await stack.event({
        type: 'app_mention',
        user,
        text: `<@UBOT> ${text}`,
        ts,
        channel: options.channel ?? CHANNEL,
        event_ts: ts,
        ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
      });
      return { ts, status };
    },
    async click(user, message, button, options = {}) {
      const payload = {
        type: 'block_actions',
        team: { id: 'T0FAKE', domain: 'fake' },
        user: { id: user, username: user.toLowerCase(), team_id: 'T0FAKE' },
        api_app_id: 'A0FAKE',
        token: 'legacy-verification-token',
        container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
        trigger_id: `${Date.now()}.trigger`,
        channel: { id: message.channel, name: 'deploys' },
        message: { type: 'message', ts: message.ts, text: 'card' },
        response_url: slack.responseUrl(`action-${randomUUID()}`),
        actions: [
          {
            type: 'button',
            block_id: 'b',
            action_id: button.action_id,
            value: button.value,
            action_ts: options.actionTs ?? `${Date.now() / 1000}`,
            text: { type: 'plain_text', text: 'x' },
          },
        ],
      };
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      return (await stack.post(body, 'application/x-www-form-urlencoded', options)).status;
    },
    async command(user, text, options = {}) {
      const body = new URLSearchParams({
        token: 'legacy-verification-token',
        team_id: 'T0FAKE',
        channel_id: options.channel ?? CHANNEL,
        channel_name: 'deploys',
        user_id: user,
        user_name: user.toLowerCase(),
        command: '/copilot',
        text,
        api_app_id: 'A0FAKE',
        response_url: slack.responseUrl(options.responseId ?? `cmd-${randomUUID()}`),
        trigger_id: `${Date.now()}.${randomUUID()}`,
      }).toString();
      return (await stack.post(body, 'application/x-www-form-urlencoded')).status;
    },
    async submitView(user, view, values) {
      const state = {
        values: Object.fromEntries(
          Object.entries(values).map(([block, inputs]) => [
            block,
            Object.fromEntries(Object.entries(inputs).map(([action, value]) => [action, { type: 'plain_text_input', value }])),
          ]),
        ),
      };
      const payload = {
        type: 'view_submission',
        team: { id: 'T0FAKE', domain: 'fake' },
        user: { id: user, username: user.toLowerCase(), team_id: 'T0FAKE' },
        api_app_id: 'A0FAKE',
        token: 'legacy-verification-token',
        trigger_id: `${Date.now()}.trigger`,
        view: { id: `V${randomUUID().slice(0, 8).toUpperCase()}`, hash: `${Date.now()}.hash`, team_id: 'T0FAKE', type: 'modal', ...view, state },
      };
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      return (await stack.post(body, 'application/x-www-form-urlencoded')).status;
    },
    async restartApi() {
      await http.close(500);
      http = await startHttp();
    },
    async waitFor(what, probe, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value) return value;
        if (Date.now() > deadline)
          throw new Error(
            `timed out waiting for ${what}; Slack messages: ${JSON.stringify(slack.messages.map((m) => ({ ch: m.channel, th: m.threadTs, text: m.text })))}; ephemerals: ${JSON.stringify(slack.ephemerals)}; logs: ${logs.slice(-5).join('')}`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      await http.close(500);
      for await (const wf of backends.client.workflow.list({ query: `TaskQueue = "${backends.taskQueue}" AND ExecutionStatus = "Running"` })) {
        await backends.client.workflow
          .getHandle(wf.workflowId)
          .terminate('test finished')
          .catch(() => undefined);
      }
      worker.shutdown();
      await running;
      await connection.close();
      await core.close();
      await slack.close();
      await backends.close();
    },
  };
  return stack;
}
