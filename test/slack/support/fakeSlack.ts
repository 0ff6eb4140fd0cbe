import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * FAKE Slack Web API — a local stand-in for https://slack.com/api/, for tests only. It follows
 * Slack's documented wire format: methods are `POST /api/<method>` with a bearer token and a
 * form-urlencoded or JSON body; answers are HTTP 200 with `{ ok: true, … }` or
 * `{ ok: false, error: "<code>" }` (invalid_auth, channel_not_found, message_not_found,
 * user_not_found, invalid_arguments, no_text); rate limits are HTTP 429 with a `Retry-After`
 * header (seconds) and `{ ok: false, error: "ratelimited" }`. Implemented: chat.postMessage,
 * chat.update, chat.postEphemeral, views.open, auth.test, users.info, and `response_url`s
 * (`POST /response/<id>`). Nothing here talks to Slack.
 */
export interface FakeMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks: unknown[];
  /** How many chat.update calls changed it. */
  updates: number;
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  text: string;
}

export interface FakeSlack {
  url: string;
  /** The Web API base for SLACK_API_URL. */
  apiUrl: string;
  token: string;
  messages: FakeMessage[];
  ephemerals: FakeEphemeral[];
  responses: { id: string; body: Record<string, unknown> }[];
  views: Record<string, unknown>[];
  /** Every Web API call in order, with the HTTP status it got. */
  calls: { method: string; status: number }[];
  /** The next `times` calls of `method` answer 429 with Retry-After: `retryAfterSeconds`. */
  rateLimit(method: string, times: number, retryAfterSeconds: number): void;
  responseUrl(id: string): string;
  inChannel(channel: string): FakeMessage[];
  inThread(channel: string, threadTs: string): FakeMessage[];
  close(): Promise<void>;
}

/** Form fields and JSON bodies alike: a string or nothing. */
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) out[k] = v;
  return out;
}

/** Form-encoded calls carry arrays/objects as JSON strings (that is how the SDK sends `blocks`). */
function jsonField(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string' && value.trim().startsWith('[')) return JSON.parse(value) as unknown[];
  return [];
}

export async function startFakeSlack(options: { token?: string; channels?: string[] } = {}): Promise<FakeSlack> {
  const token = options.token ?? 'xoxb-fake-test-token';
  const channels = new Set(options.channels ?? []);
  const messages: FakeMessage[] = [];
  const ephemerals: FakeEphemeral[] = [];
  const responses: { id: string; body: Record<string, unknown> }[] = [];
  const views: Record<string, unknown>[] = [];
  const calls: { method: string; status: number }[] = [];
  const limits = new Map<string, { times: number; retryAfter: number }>();
  let clock = 1_700_000_000;
  let counter = 0;
  const nextTs = () => `${clock + Math.floor(counter / 1000)}.${String(++counter).padStart(6, '0')}`;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const knownChannel = (channel: unknown) => typeof channel === 'string' && (channels.size === 0 || channels.has(channel) || channel.startsWith('D'));

  const methods: Record<string, (b: Record<string, unknown>) => Record<string, unknown>> = {
    'auth.test': () => ({ ok: true, url: 'https://fake.slack.test/', team: 'Fake', user: 'copilot', team_id: 'T0FAKE', user_id: 'UBOT', bot_id: 'B0FAKE' }),
    'users.info': (b) => {
      const id = text(b.user);
      if (!/^[UW][A-Z0-9]+$/.test(id)) return { ok: false, error: 'user_not_found' };
      return { ok: true, user: { id, name: id.toLowerCase(), team_id: 'T0FAKE', is_bot: false } };
    },
    'chat.postMessage': (b) => {
      if (!knownChannel(b.channel)) return { ok: false, error: 'channel_not_found' };
      const blocks = jsonField(b.blocks);
      if (!b.text && blocks.length === 0) return { ok: false, error: 'no_text' };
      const m: FakeMessage = { channel: String(b.channel), ts: nextTs(), text: text(b.text), blocks, updates: 0, ...(text(b.thread_ts) ? { threadTs: text(b.thread_ts) } : {}) };
      messages.push(m);
      return { ok: true, channel: m.channel, ts: m.ts, message: { type: 'message', text: m.text, ts: m.ts, bot_id: 'B0FAKE', ...(m.threadTs ? { thread_ts: m.threadTs } : {}) } };
    },
    'chat.update': (b) => {
      const m = messages.find((x) => x.channel === b.channel && x.ts === b.ts);
      if (!m) return { ok: false, error: 'message_not_found' };
      if (b.text !== undefined) m.text = text(b.text);
      if (b.blocks !== undefined) m.blocks = jsonField(b.blocks);
      m.updates += 1;
      return { ok: true, channel: m.channel, ts: m.ts, text: m.text };
    },
    'chat.postEphemeral': (b) => {
      if (!knownChannel(b.channel)) return { ok: false, error: 'channel_not_found' };
      if (typeof b.user !== 'string') return { ok: false, error: 'invalid_arguments' };
      ephemerals.push({ channel: String(b.channel), user: b.user, text: text(b.text) });
      return { ok: true, message_ts: nextTs() };
    },
    'views.open': (b) => {
      if (typeof b.trigger_id !== 'string') return { ok: false, error: 'invalid_arguments' };
      const view = typeof b.view === 'string' ? (JSON.parse(b.view) as Record<string, unknown>) : (b.view as Record<string, unknown>);
      views.push(view);
      return { ok: true, view: { id: `V${views.length}`, ...view } };
    },
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const body = await readBody(req);
      if (req.method === 'POST' && url.pathname.startsWith('/response/')) {
        responses.push({ id: url.pathname.slice('/response/'.length), body });
        return send(res, 200, { ok: true });
      }
      const method = url.pathname.startsWith('/api/') ? url.pathname.slice(5) : '';
      const handler = methods[method];
      if (req.method !== 'POST' || !handler) {
        calls.push({ method, status: 404 });
        return send(res, 404, { ok: false, error: 'unknown_method' });
      }
      const limit = limits.get(method);
      if (limit && limit.times > 0) {
        limit.times -= 1;
        calls.push({ method, status: 429 });
        return send(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limit.retryAfter) });
      }
      const auth = req.headers.authorization ?? (typeof body.token === 'string' ? `Bearer ${body.token}` : '');
      calls.push({ method, status: 200 });
      if (auth !== `Bearer ${token}`) return send(res, 200, { ok: false, error: auth ? 'invalid_auth' : 'not_authed' });
      send(res, 200, handler(body));
    })().catch((err: unknown) => send(res, 500, { ok: false, error: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  clock += 1;
  return {
    url,
    apiUrl: `${url}/api/`,
    token,
    messages,
    ephemerals,
    responses,
    views,
    calls,
    rateLimit(method, times, retryAfterSeconds) {
      limits.set(method, { times, retryAfter: retryAfterSeconds });
    },
    responseUrl: (id) => `${url}/response/${id}`,
    inChannel: (channel) => messages.filter((m) => m.channel === channel && !m.threadTs),
    inThread: (channel, threadTs) => messages.filter((m) => m.channel === channel && m.threadTs === threadTs),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
