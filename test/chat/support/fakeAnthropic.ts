/**
 * FAKE Anthropic Messages API — NOT Anthropic. There is no network here, so this local HTTP server
 * reproduces the documented wire format (https://docs.anthropic.com/en/api/messages-streaming,
 * https://docs.anthropic.com/en/api/errors) closely enough to drive the real @anthropic-ai/sdk:
 *   POST /v1/messages  (stream: true) → 200 text/event-stream with, in order:
 *     event: message_start        data: {"type":"message_start","message":{id,type:"message",role:"assistant",model,content:[],stop_reason:null,stop_sequence:null,usage:{input_tokens,output_tokens}}}
 *     event: ping                 data: {"type":"ping"}
 *     event: content_block_start  data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}
 *                                  or {"type":"tool_use","id":"toolu_…","name":…,"input":{}}
 *     event: content_block_delta  data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"…"}}
 *                                  or {"type":"input_json_delta","partial_json":"…"}
 *     event: content_block_stop   data: {"type":"content_block_stop","index":0}
 *     event: message_delta        data: {"type":"message_delta","delta":{"stop_reason":"end_turn"|"tool_use","stop_sequence":null},"usage":{"output_tokens":n}}
 *     event: message_stop         data: {"type":"message_stop"}
 *   (stream: false) → 200 application/json, the Message object.
 *   Mid-stream failure: `event: error` / data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}.
 *   Errors: HTTP 400/401/429/529 (…) with {"type":"error","error":{"type":"invalid_request_error"|"authentication_error"|"rate_limit_error"|"overloaded_error","message"}}
 *           and a `request-id` header; 429 carries `retry-after`.
 *   GET /v1/models → {"data":[{"type":"model","id":…}],"has_more":false,…} (used as the health check).
 * Auth: `x-api-key: <key>` or `authorization: Bearer <key>` (SDK 1.x sends Bearer); anything else 401.
 * Responses are scripted per request; each request is recorded (headers and parsed body).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Script =
  | { kind: 'text'; text: string; chunk?: number; delayMs?: number; usage?: ScriptedUsage }
  | { kind: 'tool_use'; name: string; input: Record<string, unknown>; text?: string; usage?: ScriptedUsage }
  | { kind: 'error'; status: number; type: string; message?: string }
  | { kind: 'midStreamError'; text: string; type?: string }
  | { kind: 'hang' };

/** Reported token usage, for budget tests (default: estimated from the request and answer sizes). */
export interface ScriptedUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface RecordedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

export interface FakeAnthropic {
  url: string;
  apiKey: string;
  requests: RecordedRequest[];
  /** Scripts consumed in order; when empty, `fallback` answers. */
  queue: Script[];
  fallback: (body: any) => Script;
  close(): Promise<void>;
}

let ids = 0;
const nextId = (prefix: string) => `${prefix}_${(++ids).toString(36).padStart(8, '0')}`;

function authorised(req: http.IncomingMessage, key: string): boolean {
  return req.headers['x-api-key'] === key || req.headers.authorization === `Bearer ${key}`;
}

function errorBody(type: string, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}

export async function startFakeAnthropic(apiKey = 'sk-ant-test-0123456789'): Promise<FakeAnthropic> {
  const sockets = new Set<import('node:net').Socket>();
  const fake: FakeAnthropic = {
    url: '',
    apiKey,
    requests: [],
    queue: [],
    fallback: () => ({ kind: 'text', text: 'OK.' }),
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      let body: any = undefined;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
      fake.requests.push({ path: url.pathname, headers: req.headers, body });
      const fail = (status: number, type: string, message: string, extra: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': nextId('req'), ...extra });
        res.end(errorBody(type, message));
      };
      if (!authorised(req, apiKey)) return fail(401, 'authentication_error', 'invalid x-api-key');
      if (!req.headers['anthropic-version']) return fail(400, 'invalid_request_error', 'anthropic-version header is required');
      if (req.method === 'GET' && url.pathname === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            data: [{ type: 'model', id: 'claude-sonnet-5-5', display_name: 'Claude Sonnet 5.5', created_at: '2025-09-29T00:00:00Z' }],
            has_more: false,
            first_id: 'claude-sonnet-5-5',
            last_id: 'claude-sonnet-5-5',
          }),
        );
        return;
      }
      if (req.method !== 'POST' || url.pathname !== '/v1/messages') return fail(404, 'not_found_error', `no route ${req.method} ${url.pathname}`);
      if (!body || typeof body !== 'object' || !body.model || !Array.isArray(body.messages) || typeof body.max_tokens !== 'number') {
        return fail(400, 'invalid_request_error', 'model, messages and max_tokens are required');
      }
      const script = fake.queue.shift() ?? fake.fallback(body);
      if (script.kind === 'error') return fail(script.status, script.type, script.message ?? script.type, script.status === 429 ? { 'retry-after': '1' } : {});
      if (script.kind === 'hang') return; // never answers: the client's timeout must fire
      const model = String(body.model);
      const usage = 'usage' in script ? script.usage : undefined;
      const inputTokens = usage?.inputTokens ?? Math.ceil(JSON.stringify(body.messages).length / 4);
      if (!body.stream) {
        const content =
          script.kind === 'tool_use'
            ? [...(script.text ? [{ type: 'text', text: script.text }] : []), { type: 'tool_use', id: nextId('toolu'), name: script.name, input: script.input }]
            : [{ type: 'text', text: script.text }];
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': nextId('req') });
        res.end(
          JSON.stringify({
            id: nextId('msg'),
            type: 'message',
            role: 'assistant',
            model,
            content,
            stop_reason: script.kind === 'tool_use' ? 'tool_use' : 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: inputTokens, output_tokens: usage?.outputTokens ?? 10 },
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': nextId('req') });
      const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      void (async () => {
        send('message_start', {
          type: 'message_start',
          message: {
            id: nextId('msg'),
            type: 'message',
            role: 'assistant',
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: inputTokens, output_tokens: 1 },
          },
        });
        send('ping', { type: 'ping' });
        let index = 0;
        let outputTokens = 0;
        const text = script.kind === 'tool_use' ? script.text : script.text;
        if (text) {
          send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
          const size = script.kind === 'text' ? (script.chunk ?? 4) : 4;
          for (let i = 0; i < text.length; i += size) {
            send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: text.slice(i, i + size) } });
            outputTokens++;
            if (script.kind === 'text' && script.delayMs) await new Promise((r) => setTimeout(r, script.delayMs));
          }
          if (script.kind === 'midStreamError') {
            send('error', { type: 'error', error: { type: script.type ?? 'overloaded_error', message: 'Overloaded' } });
            res.end();
            return;
          }
          send('content_block_stop', { type: 'content_block_stop', index });
          index++;
        }
        if (script.kind === 'tool_use') {
          send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: nextId('toolu'), name: script.name, input: {} } });
          const json = JSON.stringify(script.input);
          send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } });
          for (let i = 0; i < json.length; i += 7)
            send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json.slice(i, i + 7) } });
          send('content_block_stop', { type: 'content_block_stop', index });
          outputTokens += Math.ceil(json.length / 4);
        }
        send('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: script.kind === 'tool_use' ? 'tool_use' : 'end_turn', stop_sequence: null },
          usage: { output_tokens: usage?.outputTokens ?? outputTokens },
        });
        send('message_stop', { type: 'message_stop' });
        res.end();
      })();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return fake;
}
